"""Orders submitted by other systems (orders.inbound): created once per external reference."""

from __future__ import annotations

import logging

from contracts import CloudEvent
from contracts.events import OrderSubmitted
from orders.domain.content import Address, LineInput, LineKind, PaymentTerms
from orders.domain.order import Order
from orders.service_layer.customers import NewCustomer, create_customer
from orders.service_layer.orders import NewOrder, create_order
from orders.service_layer.unit_of_work import UnitOfWork
from servicekit.mapping import copied_or_none

log = logging.getLogger(__name__)


async def submit_order(uow: UnitOfWork, event: CloudEvent[OrderSubmitted]) -> Order | None:
    """Create (and maybe confirm) an order submitted by another system, once per reference.

    Returns None when an order with the submission's external reference already exists: a
    second submission of the same order changes nothing.
    """
    data = event.data
    existing = await uow.orders.find_by_external_reference(data.external_reference)
    if existing is not None:
        log.info(
            "order %s already exists as %s; submission %s ignored",
            data.external_reference,
            existing.number,
            event.id,
        )
        return None
    submitted = data.customer
    customer = await uow.customers.find_by_email(submitted.email)
    if customer is None:
        customer = await create_customer(
            uow,
            NewCustomer(
                name=submitted.name,
                email=submitted.email,
                billing_address=copied_or_none(Address, submitted.billing_address),
                shipping_address=copied_or_none(Address, submitted.shipping_address),
            ),
        )
    new = NewOrder(
        customer_id=customer.id,
        currency=data.currency,
        order_date=data.order_date,
        customer_reference=data.customer_reference,
        description=data.description,
        payment_terms=copied_or_none(PaymentTerms, data.payment_terms),
        billing_address=copied_or_none(Address, submitted.billing_address),
        shipping_address=copied_or_none(Address, submitted.shipping_address),
        lines=[
            LineInput(
                sku=line.sku,
                kind=LineKind(line.kind.value),
                description=line.description or line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                requested_delivery_date=line.requested_delivery_date,
                promised_delivery_date=line.promised_delivery_date,
            )
            for line in data.lines
        ],
        requested_delivery_date=data.requested_delivery_date,
        promised_delivery_date=data.promised_delivery_date,
    )
    order = await create_order(
        uow,
        new,
        cause=event,
        external_reference=data.external_reference,
        confirm=data.confirm,
    )
    # On the timeline by when it occurred: before the order's own events.
    await uow.note_received(
        event,
        order_id=order.id,
        summary=f"Order {data.external_reference} submitted by {event.source}",
    )
    return order
