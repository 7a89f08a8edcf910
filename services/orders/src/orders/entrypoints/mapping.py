"""Between the API's shapes (schemas) and the domain's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from orders.domain.addresses import CustomerAddress
from orders.domain.content import (
    Address,
    Line,
    LineInput,
    LineKind,
    OpportunityRef,
    PaymentTerms,
    Recurring,
)
from orders.domain.customer import Customer
from orders.domain.order import Order, OrderSummary
from orders.domain.quote import Quote
from orders.domain.totals import Totals, plain
from orders.entrypoints import (
    content_schemas,
    customers_schemas,
    orders_schemas,
    quotes_schemas,
    shared_schemas,
)
from orders.service_layer.content import OpportunityInput
from orders.service_layer.events import utcnow
from orders.service_layer.unit_of_work import TimelineEntry, UnitOfWork
from servicekit.mapping import copied, copied_or_none


def address(body: shared_schemas.Address | None) -> Address | None:
    return copied_or_none(Address, body)


def address_read(value: Address | None) -> shared_schemas.Address | None:
    return copied_or_none(shared_schemas.Address, value)


def line_inputs(lines: list[content_schemas.OrderLineCreate]) -> list[LineInput]:
    return [
        LineInput(
            sku=line.sku,
            kind=LineKind(line.kind.value),
            description=line.description or "",
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            requested_delivery_date=line.requested_delivery_date,
            promised_delivery_date=line.promised_delivery_date,
        )
        for line in lines
    ]


def terms(body: shared_schemas.PaymentTerms | None) -> PaymentTerms | None:
    return copied_or_none(PaymentTerms, body)


def recurring(body: shared_schemas.Recurring | None) -> Recurring | None:
    return None if body is None else Recurring(body.frequency, body.start, body.end)


def opportunity(body: content_schemas.OpportunityIn | None) -> OpportunityInput | None:
    if body is None:
        return None
    customer_id = str(body.customer_id) if body.customer_id else None
    return OpportunityInput(body.id, body.name, customer_id)


def content(body: content_schemas.ContentCreate) -> dict[str, Any]:
    """The keyword arguments of content.NewContent from a creating request."""
    return {
        "customer_id": str(body.customer_id) if body.customer_id else None,
        "currency": body.currency,
        "lines": line_inputs(body.lines),
        "contact": body.contact,
        "contact_id": str(body.contact_id) if body.contact_id else None,
        "customer_reference": body.customer_reference,
        "description": body.description,
        "opening_text": body.opening_text,
        "closing_text": body.closing_text,
        "payment_terms": terms(body.payment_terms),
        "billing_address": address(body.billing_address),
        "shipping_address": address(body.shipping_address),
        "billing_address_id": str(body.billing_address_id) if body.billing_address_id else None,
        "shipping_address_id": (
            str(body.shipping_address_id) if body.shipping_address_id else None
        ),
        "opportunity": opportunity(body.opportunity),
        "template_id": body.template_id,
        "recurring": recurring(body.recurring),
    }


_CONVERTERS: dict[str, Any] = {
    "billing_address": address,
    "shipping_address": address,
    "payment_terms": terms,
    "recurring": recurring,
    "opportunity": opportunity,
    "customer_id": str,
    "billing_address_id": str,
    "shipping_address_id": str,
    "contact_id": str,
}


def changes(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH gave (not `lines`), as domain values; `null` clears."""
    found: dict[str, Any] = {}
    for name in body.model_fields_set - {"lines"}:
        value = getattr(body, name)
        convert = _CONVERTERS.get(name)
        found[name] = convert(value) if convert is not None and value is not None else value
    return found


def customer_read(customer: Customer) -> customers_schemas.CustomerRead:
    return customers_schemas.CustomerRead(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        billing_address=address_read(customer.billing_address),
        shipping_address=address_read(customer.shipping_address),
        owner=customer.owner,
        team=customer.team,
        group=customer.group,
        tax_id=customer.tax_id,
        archived=customer.archived_at is not None,
        archived_at=customer.archived_at,
        created_at=customer.created_at,
        updated_at=customer.updated_at or customer.created_at,
    )


def customer_address_read(found: CustomerAddress) -> customers_schemas.CustomerAddressRead:
    return customers_schemas.CustomerAddressRead(
        id=found.id,
        customer_id=found.customer_id,
        kind=found.kind,
        label=found.label,
        is_default=found.is_default,
        created_at=found.created_at,
        updated_at=found.updated_at,
        **asdict(found.address),
    )


def _customer_ref(customer: Customer | None) -> content_schemas.CustomerRef | None:
    if customer is None:
        return None
    return content_schemas.CustomerRef(id=customer.id, name=customer.name, email=customer.email)


def _opportunity_ref(value: OpportunityRef | None) -> content_schemas.OpportunityRef | None:
    return None if value is None else content_schemas.OpportunityRef(id=value.id, name=value.name)


def _recurring_read(value: Recurring | None) -> content_schemas.RecurringRead | None:
    if value is None:
        return None
    return content_schemas.RecurringRead(
        frequency=value.frequency, start=value.start, end=value.end
    )


def _totals_read(totals: Totals) -> content_schemas.TotalsRead:
    return content_schemas.TotalsRead(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=[  # fields named, not asdict(): that deep-copies, at ~7 µs a tax line
            content_schemas.TaxLineRead(rate=tax.rate, base=tax.base, amount=tax.amount)
            for tax in totals.taxes
        ],
    )


def _line_fields(line: Line) -> dict[str, Any]:
    amounts = line.amounts  # priced on each access: once here, not three times
    return {
        "line_no": line.line_no,
        "sku": line.sku,
        "kind": line.kind.value,
        "description": line.description,
        "quantity": plain(line.quantity),
        "unit_price": line.unit_price,
        "discount_percent": plain(line.discount_percent),
        "tax_rate": plain(line.tax_rate),
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "gross_amount": amounts.gross,
        "requested_delivery_date": line.requested_delivery_date,
        "promised_delivery_date": line.promised_delivery_date,
    }


def _shared_read(source: Order | Quote, customer: Customer | None) -> dict[str, Any]:
    """The fields an order's and a quote's answers share: identity, content, totals, times."""
    effective = source.effective_payment_terms
    return {
        "id": source.id,
        "number": source.number,
        "owner": source.owner,
        "team": source.team,
        "customer": _customer_ref(customer),
        "contact": source.contact,
        "currency": source.currency,
        "customer_reference": source.customer_reference,
        "description": source.description,
        "opening_text": source.opening_text,
        "closing_text": source.closing_text,
        "payment_terms": shared_schemas.PaymentTerms(days=effective.days, text=effective.text),
        "payment_terms_agreed": source.payment_terms is not None,
        "billing_address": address_read(source.billing_address),
        "shipping_address": address_read(source.shipping_address),
        "opportunity": _opportunity_ref(source.opportunity),
        "template_id": source.template_id,
        "recurring": _recurring_read(source.recurring),
        "totals": _totals_read(source.totals),
        "created_at": source.created_at,
        "updated_at": source.updated_at,
    }


def order_summary_read(
    summary: OrderSummary, customer: Customer | None
) -> orders_schemas.OrderSummaryRead:
    return orders_schemas.OrderSummaryRead(
        id=summary.id,
        number=summary.number,
        customer_id=summary.customer_id,
        customer=_customer_ref(customer),
        owner=summary.owner,
        team=summary.team,
        status=summary.status,
        fulfilment=summary.fulfilment,
        billing=summary.billing,
        stage=summary.stage,
        currency=summary.currency,
        order_date=summary.order_date,
        totals=orders_schemas.SummaryTotalsRead(
            net=summary.net, tax=summary.tax, gross=summary.gross
        ),
        invoiced_total=summary.invoiced_total,
        external_reference=summary.external_reference,
        archived=summary.archived_at is not None,
        archived_at=summary.archived_at,
        created_at=summary.created_at,
        updated_at=summary.updated_at,
    )


def order_read(order: Order, customer: Customer | None) -> orders_schemas.OrderRead:
    return orders_schemas.OrderRead(
        status=order.status,
        fulfilment=order.fulfilment,
        billing=order.billing,
        invoiced_total=order.invoiced_total,
        uninvoiced_total=order.uninvoiced_total,
        stage=order.stage,
        order_date=order.order_date,
        contract_number=order.contract_number,
        warehouse=order.warehouse,
        split_allowed=order.split_allowed,
        requested_delivery_date=order.requested_delivery_date,
        promised_delivery_date=order.promised_delivery_date,
        lines=[
            orders_schemas.OrderLineRead(
                **_line_fields(line),
                shipped_quantity=plain(line.shipped_quantity),
                cancelled_quantity=plain(line.cancelled_quantity),
                returned_quantity=plain(line.returned_quantity),
            )
            for line in order.lines
        ],
        documents=[copied(orders_schemas.DocumentRead, d) for d in order.documents],
        external_reference=order.external_reference,
        quote_id=order.quote_id,
        approval=copied_or_none(orders_schemas.ApprovalRead, order.approval),
        cancellation_reason=order.cancellation_reason,
        closed_short_at=order.closed_short_at,
        archived=order.archived,
        archived_at=order.archived_at,
        **_shared_read(order, customer),
    )


async def _customers_of(
    uow: UnitOfWork, orders: Sequence[Order | OrderSummary]
) -> list[Customer | None]:
    """Each order's customer (None on a copy without one), all read in one query."""
    customers = await uow.customers.get_many({o.customer_id for o in orders if o.customer_id})
    return [customers.get(o.customer_id) if o.customer_id else None for o in orders]


async def order_reads(uow: UnitOfWork, orders: list[Order]) -> list[orders_schemas.OrderRead]:
    customers = await _customers_of(uow, orders)
    return [order_read(order, customer) for order, customer in zip(orders, customers, strict=True)]


def quote_read(quote: Quote, customer: Customer) -> quotes_schemas.QuoteRead:
    return quotes_schemas.QuoteRead(
        status=quote.status_on(utcnow().date()),
        quote_date=quote.quote_date,
        valid_until=quote.valid_until,
        lines=[quotes_schemas.QuoteLineRead(**_line_fields(line)) for line in quote.lines],
        orders=[quotes_schemas.OrderRefRead(id=o.id, number=o.number) for o in quote.orders],
        documents=[copied(quotes_schemas.QuoteDocumentRead, d) for d in quote.documents],
        sent_at=quote.sent_at,
        decided_at=quote.decided_at,
        rejection_reason=quote.rejection_reason,
        **_shared_read(quote, customer),
    )


async def order_summary_reads(
    uow: UnitOfWork, summaries: list[OrderSummary]
) -> list[orders_schemas.OrderSummaryRead]:
    """The summaries with their customers, read together as `order_reads` reads them."""
    customers = await _customers_of(uow, summaries)
    return [
        order_summary_read(summary, customer)
        for summary, customer in zip(summaries, customers, strict=True)
    ]


async def quote_reads(uow: UnitOfWork, quotes: list[Quote]) -> list[quotes_schemas.QuoteRead]:
    customers = await uow.customers.get_many({quote.customer_id for quote in quotes})
    return [quote_read(quote, customers[quote.customer_id]) for quote in quotes]


async def read_order(uow: UnitOfWork, order: Order) -> orders_schemas.OrderRead:
    return (await order_reads(uow, [order]))[0]


async def read_quote(uow: UnitOfWork, quote: Quote) -> quotes_schemas.QuoteRead:
    return (await quote_reads(uow, [quote]))[0]


def timeline_read(entries: list[TimelineEntry]) -> content_schemas.TimelineRead:
    return content_schemas.TimelineRead(
        items=[copied(content_schemas.TimelineEntryRead, entry) for entry in entries]
    )
