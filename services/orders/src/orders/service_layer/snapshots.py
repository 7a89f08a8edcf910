"""Domain objects as the public payloads other services read (contracts.common)."""

from __future__ import annotations

from contracts.common import Address as AddressPayload
from contracts.common import (
    CustomerRef,
    ItemKind,
    OrderLine,
    OrderSnapshot,
    TaxLine,
    Totals,
)
from contracts.common import PaymentTerms as PaymentTermsPayload
from orders.domain.model import Address, Customer, Order
from orders.domain.totals import plain


def address_payload(address: Address | None) -> AddressPayload | None:
    if address is None:
        return None
    return AddressPayload(
        name=address.name,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region,
        country=address.country,
    )


def address_from_payload(payload: AddressPayload | None) -> Address | None:
    if payload is None:
        return None
    return Address(
        name=payload.name,
        line1=payload.line1,
        line2=payload.line2,
        postal_code=payload.postal_code,
        city=payload.city,
        region=payload.region,
        country=payload.country,
    )


def totals_payload(order: Order) -> Totals:
    totals = order.totals
    return Totals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=[TaxLine(rate=t.rate, base=t.base, amount=t.amount) for t in totals.taxes],
    )


def snapshot(order: Order, customer: Customer) -> OrderSnapshot:
    """Everything a downstream service needs to know about the order now."""
    return OrderSnapshot(
        order_id=order.id,
        number=order.number,
        customer=CustomerRef(id=customer.id, name=customer.name, email=customer.email),
        contact=order.contact,
        order_date=order.order_date,
        currency=order.currency,
        customer_reference=order.customer_reference,
        description=order.description,
        opening_text=order.opening_text,
        closing_text=order.closing_text,
        payment_terms=PaymentTermsPayload(
            days=order.payment_terms.days, text=order.payment_terms.text
        ),
        billing_address=address_payload(order.billing_address),
        shipping_address=address_payload(order.shipping_address),
        lines=[
            OrderLine(
                line_no=line.line_no,
                sku=line.sku,
                kind=ItemKind(line.kind.value),
                description=line.description,
                quantity=plain(line.quantity),
                unit_price=line.unit_price,
                discount_percent=plain(line.discount_percent),
                tax_rate=plain(line.tax_rate),
                net_amount=line.amounts.net,
                tax_amount=line.amounts.tax,
                gross_amount=line.amounts.gross,
            )
            for line in order.lines
        ],
        totals=totals_payload(order),
    )
