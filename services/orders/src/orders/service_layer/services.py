"""Use cases: each changes state through a unit of work and writes its events in the same go."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from contracts import CloudEvent, EventType, new_event
from contracts.events import (
    DocumentGenerated,
    InvoiceIssued,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderCreated,
    OrderSubmitted,
    PaymentReceived,
    ShipmentDispatched,
    StockReleased,
    StockReservationFailed,
    StockReserved,
)
from orders.domain.model import (
    Address,
    Customer,
    Document,
    InvalidOrder,
    LineInput,
    LineKind,
    Order,
    PaymentTerms,
    build_lines,
)
from orders.domain.numbering import format_order_number
from orders.domain.totals import plain
from orders.service_layer.snapshots import address_from_payload, snapshot
from orders.service_layer.unit_of_work import AbstractUnitOfWork

log = logging.getLogger(__name__)

SOURCE = "/orders"


class OrderNotFound(LookupError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"no order {order_id}")


class CustomerNotFound(LookupError):
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        super().__init__(f"no customer {customer_id}")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewCustomer:
    name: str
    email: str
    billing_address: Address | None = None
    shipping_address: Address | None = None


@dataclass(frozen=True)
class NewOrder:
    customer_id: str
    currency: str
    lines: Sequence[LineInput]
    order_date: date | None = None
    contact: str | None = None
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


# --- customers ----------------------------------------------------------------------------------


async def create_customer(uow: AbstractUnitOfWork, new: NewCustomer) -> Customer:
    customer = Customer(
        id=str(uuid.uuid4()),
        name=new.name,
        email=new.email,
        created_at=utcnow(),
        billing_address=new.billing_address,
        shipping_address=new.shipping_address,
    )
    await uow.customers.add(customer)
    return customer


async def get_customer(uow: AbstractUnitOfWork, customer_id: str) -> Customer:
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


# --- orders: what people ask for ---------------------------------------------------------------


def _event(
    event_type: EventType,
    payload: BaseModel,
    order: Order,
    *,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None,
) -> CloudEvent[Any]:
    if cause is not None:
        return cause.caused(event_type, payload, source=SOURCE, subject=order.id)
    return new_event(
        event_type, payload, source=SOURCE, subject=order.id, correlation_id=correlation_id
    )


async def _customer_of(uow: AbstractUnitOfWork, order: Order) -> Customer:
    customer = await uow.customers.get(order.customer_id)
    if customer is None:  # the foreign key makes this impossible in the database
        raise CustomerNotFound(order.customer_id)
    return customer


async def create_order(
    uow: AbstractUnitOfWork,
    new: NewOrder,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
    external_reference: str | None = None,
) -> Order:
    """A draft with the next number of the year; emits order.created."""
    customer = await uow.customers.get(new.customer_id)
    if customer is None:
        raise InvalidOrder("customer_id", "no customer has this id")
    lines = build_lines(new.lines)
    now = utcnow()
    sequence = await uow.next_order_sequence(now.year)
    billing_address = new.billing_address or customer.billing_address
    order = Order(
        id=str(uuid.uuid4()),
        number=format_order_number(now.year, sequence),
        customer_id=customer.id,
        currency=new.currency,
        order_date=new.order_date or now.date(),
        lines=lines,
        created_at=now,
        updated_at=now,
        contact=new.contact,
        customer_reference=new.customer_reference,
        description=new.description,
        opening_text=new.opening_text,
        closing_text=new.closing_text,
        payment_terms=new.payment_terms or PaymentTerms(),
        billing_address=billing_address,
        shipping_address=new.shipping_address or customer.shipping_address or billing_address,
        external_reference=external_reference,
    )
    await uow.orders.add(order)
    gross = order.totals.gross
    summary = f"Order {order.number} created: {len(lines)} line(s), {gross} {order.currency}"
    if external_reference:
        summary += f", external reference {external_reference}"
    await uow.publish(
        _event(
            EventType.ORDER_CREATED,
            OrderCreated(order=snapshot(order, customer), external_reference=external_reference),
            order,
            correlation_id=correlation_id,
            cause=cause,
        ),
        order_id=order.id,
        summary=summary,
    )
    return order


async def get_order(uow: AbstractUnitOfWork, order_id: str, *, for_update: bool = False) -> Order:
    order = await uow.orders.get(order_id, for_update=for_update)
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def revise_order(
    uow: AbstractUnitOfWork,
    order_id: str,
    changes: Mapping[str, Any],
    lines: Sequence[LineInput] | None,
) -> Order:
    """Change a draft: the header fields given, and all lines if lines are given."""
    order = await get_order(uow, order_id, for_update=True)
    order.ensure_editable()
    changes = dict(changes)
    new_customer_id = changes.get("customer_id")
    if new_customer_id is not None and new_customer_id != order.customer_id:
        customer = await uow.customers.get(new_customer_id)
        if customer is None:
            raise InvalidOrder("customer_id", "no customer has this id")
        # Addresses not given follow the new customer, as they would on a new order.
        changes.setdefault("billing_address", customer.billing_address)
        changes.setdefault(
            "shipping_address", customer.shipping_address or changes["billing_address"]
        )
    order.revise(changes, lines)
    order.updated_at = utcnow()
    await uow.orders.save(order, lines=lines is not None)
    return order


async def confirm_order(
    uow: AbstractUnitOfWork,
    order_id: str,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
) -> Order:
    """draft → open; emits order.confirmed with the full snapshot."""
    order = await get_order(uow, order_id, for_update=True)
    order.confirm()
    order.updated_at = utcnow()
    await uow.orders.save(order)
    products = len(order.product_lines)
    summary = "Order confirmed"
    if products:
        summary += f": stock to be reserved for {products} line(s)"
    await uow.publish(
        _event(
            EventType.ORDER_CONFIRMED,
            OrderConfirmed(order=snapshot(order, await _customer_of(uow, order))),
            order,
            correlation_id=correlation_id,
            cause=cause,
        ),
        order_id=order.id,
        summary=summary,
    )
    return order


async def cancel_order(
    uow: AbstractUnitOfWork,
    order_id: str,
    reason: str | None,
    *,
    correlation_id: str | None = None,
) -> Order:
    """draft/open → cancelled; emits order.cancelled (inventory releases what it reserved)."""
    order = await get_order(uow, order_id, for_update=True)
    previous = order.cancel()
    order.updated_at = utcnow()
    await uow.orders.save(order)
    summary = f"Order cancelled (was {previous.value})"
    if reason:
        summary += f": {reason}"
    await uow.publish(
        _event(
            EventType.ORDER_CANCELLED,
            OrderCancelled(
                order_id=order.id,
                number=order.number,
                reason=reason,
                previous_status=previous.value,
            ),
            order,
            correlation_id=correlation_id,
            cause=None,
        ),
        order_id=order.id,
        summary=summary,
    )
    return order


async def complete_order(
    uow: AbstractUnitOfWork, order_id: str, *, correlation_id: str | None = None
) -> Order:
    """open → concluded once shipped (services only: at once); emits order.completed."""
    order = await get_order(uow, order_id, for_update=True)
    order.complete()
    order.updated_at = utcnow()
    await uow.orders.save(order)
    await uow.publish(
        _event(
            EventType.ORDER_COMPLETED,
            OrderCompleted(order=snapshot(order, await _customer_of(uow, order))),
            order,
            correlation_id=correlation_id,
            cause=None,
        ),
        order_id=order.id,
        summary=f"Order completed: {order.totals.gross} {order.currency} to invoice",
    )
    return order


# --- orders submitted by other systems -----------------------------------------------------------


async def submit_order(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order | None:
    """Create (and maybe confirm) an order submitted by another system, once per reference.

    Returns None when an order with the submission's external reference already exists: a
    second submission of the same order changes nothing.
    """
    data: OrderSubmitted = event.data
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
                billing_address=address_from_payload(submitted.billing_address),
                shipping_address=address_from_payload(submitted.shipping_address),
            ),
        )
    terms = data.payment_terms
    new = NewOrder(
        customer_id=customer.id,
        currency=data.currency,
        order_date=data.order_date,
        customer_reference=data.customer_reference,
        description=data.description,
        payment_terms=PaymentTerms(terms.days, terms.text) if terms else None,
        billing_address=address_from_payload(submitted.billing_address),
        shipping_address=address_from_payload(submitted.shipping_address),
        lines=[
            LineInput(
                sku=line.sku,
                kind=LineKind(line.kind.value),
                description=line.description or line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
            )
            for line in data.lines
        ],
    )
    order = await create_order(uow, new, cause=event, external_reference=data.external_reference)
    await uow.record(
        event,
        order_id=order.id,
        summary=f"Order {data.external_reference} submitted by {event.source}",
    )
    if data.confirm:
        order = await confirm_order(uow, order.id, cause=event)
    return order


# --- facts reported by inventory, billing and documents ------------------------------------------


async def _apply(
    uow: AbstractUnitOfWork,
    event: CloudEvent[Any],
    order_id: str,
    change: Callable[[Order], bool],
    summary: str,
    *,
    lines: bool = False,
) -> Order:
    """Apply one consumed event to its order and put it on the timeline, in one transaction."""
    order = await get_order(uow, order_id, for_update=True)
    if change(order):
        order.updated_at = utcnow()
        await uow.orders.save(order, lines=lines)
    else:
        log.info("%s %s changes nothing on order %s", event.type, event.id, order.number)
    await uow.record(event, order_id=order.id, summary=summary)
    return order


async def stock_reserved(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: StockReserved = event.data
    summary = f"Stock reserved for {len(data.lines)} line(s)"
    return await _apply(uow, event, data.order_id, Order.stock_reserved, summary)


async def stock_reservation_failed(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: StockReservationFailed = event.data
    shortages = ", ".join(
        f"{s.sku} ({plain(s.requested)} requested, {plain(s.available)} available)"
        for s in data.shortages
    )
    summary = f"Stock reservation failed, order backordered: {shortages}"
    return await _apply(uow, event, data.order_id, Order.reservation_failed, summary)


async def stock_released(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: StockReleased = event.data
    summary = f"Stock released for {len(data.lines)} line(s)"
    return await _apply(uow, event, data.order_id, Order.stock_released, summary)


async def shipment_dispatched(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: ShipmentDispatched = event.data
    shipped = [(line.sku, line.quantity) for line in data.lines]
    state = "order fully shipped" if data.fully_shipped else "order partially shipped"
    summary = f"Shipment {data.shipment_id} dispatched with {len(data.lines)} line(s): {state}"
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.shipment_dispatched(data.shipment_id, shipped, data.fully_shipped),
        summary,
        lines=True,
    )


async def invoice_issued(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: InvoiceIssued = event.data
    summary = f"Invoice {data.number} issued: {data.totals.gross} {data.currency}"
    return await _apply(uow, event, data.order_id, Order.invoice_issued, summary)


async def payment_received(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: PaymentReceived = event.data
    summary = (
        f"Payment of {data.amount} {data.currency} received for invoice {data.invoice_number}: "
        f"balance {data.balance} {data.currency}"
    )
    status = data.status.value
    return await _apply(
        uow, event, data.order_id, lambda order: order.payment_received(status), summary
    )


DOCUMENT_LABELS = {"order_confirmation": "Order confirmation", "invoice": "Invoice"}


async def document_generated(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order:
    data: DocumentGenerated = event.data
    kind = data.kind.value
    document = Document(
        document_id=data.document_id,
        kind=kind,
        reference=data.reference,
        download_path=data.download_path,
    )
    label = DOCUMENT_LABELS.get(kind, kind.replace("_", " ").capitalize())
    summary = f"{label} PDF generated ({data.reference})"
    return await _apply(
        uow, event, data.order_id, lambda order: order.add_document(document), summary
    )
