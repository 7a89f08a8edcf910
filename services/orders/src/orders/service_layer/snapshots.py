"""Domain objects as the public payloads other services read (contracts.common)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.common import Address as AddressPayload
from contracts.common import (
    CustomerRef,
    ItemKind,
    OpportunityRef,
    OrderLine,
    OrderSnapshot,
    RecurrenceFrequency,
    RecurringBilling,
    TaxLine,
    Totals,
)
from contracts.common import PaymentTerms as PaymentTermsPayload
from orders.domain.content import Line, Recurring
from orders.domain.customer import Customer
from orders.domain.order import Order
from orders.domain.quote import Quote
from orders.domain.totals import Totals as DomainTotals
from orders.domain.totals import plain
from servicekit.mapping import copied_or_none


def totals_payload(source: Order | Quote) -> Totals:
    totals: DomainTotals = source.totals
    return Totals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=[TaxLine(rate=t.rate, base=t.base, amount=t.amount) for t in totals.taxes],
    )


def recurring_payload(recurring: Recurring | None) -> RecurringBilling | None:
    if recurring is None:
        return None
    return RecurringBilling(
        frequency=RecurrenceFrequency(recurring.frequency.value),
        start=recurring.start,
        end=recurring.end,
    )


def _line(line: Line) -> OrderLine:
    amounts = line.amounts  # priced on each access
    return OrderLine(
        line_no=line.line_no,
        sku=line.sku,
        kind=ItemKind(line.kind.value),
        description=line.description,
        quantity=plain(line.due_quantity),
        unit_price=line.unit_price,
        discount_percent=plain(line.discount_percent),
        tax_rate=plain(line.tax_rate),
        net_amount=amounts.net,
        tax_amount=amounts.tax,
        gross_amount=amounts.gross,
        requested_delivery_date=line.requested_delivery_date,
        promised_delivery_date=line.promised_delivery_date,
    )


def _content(
    source: Order | Quote, customer: Customer, *, id: str, number: str, day: date
) -> dict[str, Any]:
    terms = source.effective_payment_terms
    opportunity = source.opportunity
    return {
        "order_id": id,
        "number": number,
        "customer": CustomerRef(id=customer.id, name=customer.name, email=customer.email),
        "contact": source.contact,
        "order_date": day,
        "currency": source.currency,
        "customer_reference": source.customer_reference,
        "description": source.description,
        "opening_text": source.opening_text,
        "closing_text": source.closing_text,
        "payment_terms": PaymentTermsPayload(days=terms.days, text=terms.text),
        "billing_address": copied_or_none(AddressPayload, source.billing_address),
        "shipping_address": copied_or_none(AddressPayload, source.shipping_address),
        # A line an order closed short cancelled whole delivers nothing: it is not billed.
        "lines": [_line(line) for line in source.lines if line.due_quantity > 0],
        "totals": totals_payload(source),
        "opportunity": (
            OpportunityRef(id=opportunity.id, name=opportunity.name) if opportunity else None
        ),
        "template_id": source.template_id,
        "recurring": recurring_payload(source.recurring),
    }


def snapshot(order: Order, customer: Customer) -> OrderSnapshot:
    """Everything a downstream service needs to know about the order now."""
    return OrderSnapshot(
        **_content(order, customer, id=order.id, number=order.number, day=order.order_date),
        stage=order.stage,
        warehouse=order.warehouse,
        split_allowed=order.split_allowed or None,
        requested_delivery_date=order.requested_delivery_date,
        promised_delivery_date=order.promised_delivery_date,
    )


def quote_snapshot(quote: Quote, customer: Customer) -> OrderSnapshot:
    """A quote's content in the shape of an order (its id and number are the quote's)."""
    return OrderSnapshot(
        **_content(quote, customer, id=quote.id, number=quote.number, day=quote.quote_date)
    )
