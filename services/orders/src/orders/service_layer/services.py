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
    DocumentEmailed,
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
from orders.domain.addresses import AddressBook, AddressKind, CustomerAddress
from orders.domain.model import (
    BLANKED_ON_COPY,
    Address,
    Customer,
    Document,
    InvalidOrder,
    LineInput,
    LineKind,
    Opportunity,
    OpportunityRef,
    Order,
    PaymentTerms,
    Recurring,
    build_lines,
    content_of,
    line_inputs_of,
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


class QuoteNotFound(LookupError):
    def __init__(self, quote_id: str) -> None:
        self.quote_id = quote_id
        super().__init__(f"no quote {quote_id}")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewCustomer:
    name: str
    email: str
    billing_address: Address | None = None
    shipping_address: Address | None = None


@dataclass(frozen=True)
class OpportunityInput:
    """An opportunity as a request names it; its customer, when given, is remembered."""

    id: str
    name: str
    customer_id: str | None = None


@dataclass(frozen=True)
class NewContent:
    """What orders and quotes are created from (the customer may come from the opportunity)."""

    customer_id: str | None
    currency: str
    lines: Sequence[LineInput]
    contact: str | None = None
    customer_reference: str | None = None
    description: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    billing_address_id: str | None = None
    shipping_address_id: str | None = None
    opportunity: OpportunityInput | None = None
    template_id: str | None = None
    recurring: Recurring | None = None


@dataclass(frozen=True)
class NewOrder(NewContent):
    order_date: date | None = None
    contract_number: str | None = None


@dataclass(frozen=True)
class ResolvedContent:
    customer: Customer
    billing_address: Address | None
    shipping_address: Address | None
    opportunity: OpportunityRef | None

    def fields(self, new: NewContent) -> dict[str, Any]:
        """The domain content fields (CONTENT_FIELDS) of a new order or quote."""
        return {
            "customer_id": self.customer.id,
            "currency": new.currency,
            "contact": new.contact,
            "customer_reference": new.customer_reference,
            "description": new.description,
            "opening_text": new.opening_text,
            "closing_text": new.closing_text,
            "payment_terms": new.payment_terms,
            "billing_address": self.billing_address,
            "shipping_address": self.shipping_address,
            "opportunity": self.opportunity,
            "template_id": new.template_id,
            "recurring": new.recurring,
        }


# --- customers ----------------------------------------------------------------------------------


async def create_customer(uow: AbstractUnitOfWork, new: NewCustomer) -> Customer:
    """A customer; the addresses given become its default billing and shipping addresses."""
    now = utcnow()
    customer = Customer(
        id=str(uuid.uuid4()),
        name=new.name,
        email=new.email,
        created_at=now,
        billing_address=new.billing_address,
        shipping_address=new.shipping_address,
    )
    await uow.customers.add(customer)
    book = AddressBook(customer.id, [])
    for kind, address in (
        (AddressKind.BILLING, new.billing_address),
        (AddressKind.SHIPPING, new.shipping_address),
    ):
        if address is not None:
            book.add(
                CustomerAddress(
                    id=str(uuid.uuid4()),
                    customer_id=customer.id,
                    kind=kind,
                    address=address,
                    created_at=now,
                    updated_at=now,
                    is_default=True,
                )
            )
    if book.addresses:
        await uow.addresses.save_all(customer.id, book.addresses, set())
    return customer


async def get_customer(uow: AbstractUnitOfWork, customer_id: str) -> Customer:
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


# --- orders: what people ask for ---------------------------------------------------------------


def order_event(
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
    if order.customer_id is None:
        raise InvalidOrder("customer_id", "the order has no customer yet")
    customer = await uow.customers.get(order.customer_id)
    if customer is None:  # the foreign key makes this impossible in the database
        raise CustomerNotFound(order.customer_id)
    return customer


# --- what orders and quotes are made of ----------------------------------------------------------


async def pick_address(
    uow: AbstractUnitOfWork,
    customer_id: str | None,
    kind: AddressKind,
    inline: Address | None,
    address_id: str | None,
) -> Address | None:
    """The address given inline, or a copy of the customer's address `address_id`."""
    field = f"{kind.value}_address_id"
    if address_id is None:
        return inline
    if inline is not None:
        raise InvalidOrder(field, f"give either {kind.value}_address or {field}, not both")
    if customer_id is None:
        raise InvalidOrder(field, "choose the customer first")
    found = await uow.addresses.get(address_id)
    if found is None or found.customer_id != customer_id or found.kind is not kind:
        raise InvalidOrder(field, f"no {kind.value} address of this customer has this id")
    return found.address


async def remember_opportunity(
    uow: AbstractUnitOfWork, given: OpportunityInput, customer_id: str | None
) -> OpportunityRef:
    """Upsert the opportunity (with its customer when known) and return the reference."""
    if given.customer_id is not None and await uow.customers.get(given.customer_id) is None:
        raise InvalidOrder("opportunity.customer_id", "no customer has this id")
    await uow.opportunities.upsert(
        Opportunity(given.id, given.name, given.customer_id or customer_id)
    )
    return OpportunityRef(given.id, given.name)


async def customer_from_opportunity(
    uow: AbstractUnitOfWork, given: OpportunityInput | None
) -> str | None:
    """The customer an opportunity names, or the one known from earlier orders and quotes."""
    if given is None:
        return None
    if given.customer_id is not None:
        return given.customer_id
    known = await uow.opportunities.get(given.id)
    return known.customer_id if known else None


async def resolve_content(uow: AbstractUnitOfWork, new: NewContent) -> ResolvedContent:
    """The customer (given, else the opportunity's), the addresses and the opportunity."""
    customer_id = new.customer_id or await customer_from_opportunity(uow, new.opportunity)
    if customer_id is None:
        raise InvalidOrder(
            "customer_id", "required, unless an opportunity with a known customer is given"
        )
    customer = await uow.customers.get(customer_id)
    if customer is None:
        field = "customer_id" if new.customer_id else "opportunity.customer_id"
        raise InvalidOrder(field, "no customer has this id")
    billing = await pick_address(
        uow, customer.id, AddressKind.BILLING, new.billing_address, new.billing_address_id
    )
    shipping = await pick_address(
        uow, customer.id, AddressKind.SHIPPING, new.shipping_address, new.shipping_address_id
    )
    billing = billing or customer.billing_address
    shipping = shipping or customer.shipping_address or billing
    opportunity = None
    if new.opportunity is not None:
        opportunity = await remember_opportunity(uow, new.opportunity, customer.id)
    return ResolvedContent(customer, billing, shipping, opportunity)


def created_summary(order: Order) -> str:
    gross = order.totals.gross
    return f"Order {order.number} created: {len(order.lines)} line(s), {gross} {order.currency}"


async def announce_order(
    uow: AbstractUnitOfWork,
    order: Order,
    customer: Customer,
    summary: str,
    *,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None = None,
) -> None:
    """Emit order.created: the order exists with a customer (copies: once one is chosen)."""
    await uow.publish(
        order_event(
            EventType.ORDER_CREATED,
            OrderCreated(
                order=snapshot(order, customer), external_reference=order.external_reference
            ),
            order,
            correlation_id=correlation_id,
            cause=cause,
        ),
        order_id=order.id,
        summary=summary,
    )


async def new_order(uow: AbstractUnitOfWork, fields: dict[str, Any], **extra: Any) -> Order:
    now = utcnow()
    sequence = await uow.next_order_sequence(now.year)
    extra.setdefault("order_date", now.date())
    return Order(
        id=str(uuid.uuid4()),
        number=format_order_number(now.year, sequence),
        created_at=now,
        updated_at=now,
        **fields,
        **extra,
    )


async def create_order(
    uow: AbstractUnitOfWork,
    new: NewOrder,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
    external_reference: str | None = None,
) -> Order:
    """A draft with the next number of the year; emits order.created."""
    resolved = await resolve_content(uow, new)
    lines = build_lines(new.lines)
    order = await new_order(
        uow,
        resolved.fields(new),
        lines=lines,
        order_date=new.order_date or utcnow().date(),
        contract_number=new.contract_number,
        external_reference=external_reference,
    )
    await uow.orders.add(order)
    summary = created_summary(order)
    if external_reference:
        summary += f", external reference {external_reference}"
    await announce_order(
        uow, order, resolved.customer, summary, correlation_id=correlation_id, cause=cause
    )
    return order


async def copy_order(
    uow: AbstractUnitOfWork, order_id: str, *, correlation_id: str | None = None
) -> Order:
    """A new draft with the lines, prices and texts of another order (in any status).

    Customer, contact and opportunity are left blank for the user to fill in: order.created is
    emitted once the copy has a customer.
    """
    source = await get_order(uow, order_id)
    fields = content_of(source, blank=BLANKED_ON_COPY)
    order = await new_order(
        uow,
        fields,
        lines=build_lines(line_inputs_of(source.lines)),
        contract_number=source.contract_number,
    )
    await uow.orders.add(order)
    data = {"order_id": order.id, "number": order.number, "copied_from": source.number}
    await uow.note(
        "orders.order.copied",
        summary=f"{created_summary(order)}, as a copy of {source.number}",
        data=data,
        order_id=order.id,
    )
    await uow.note(
        "orders.order.copied_to",
        summary=f"Copied to order {order.number}",
        data=data,
        order_id=source.id,
    )
    return order


async def get_order(uow: AbstractUnitOfWork, order_id: str, *, for_update: bool = False) -> Order:
    order = await uow.orders.get(order_id, for_update=for_update)
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def resolve_changes(
    uow: AbstractUnitOfWork, current_customer_id: str | None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """PATCH fields → domain changes: an opportunity may bring the customer, addresses picked
    by id are copied, and a new customer brings its addresses unless others are given."""
    changes = dict(given)
    opportunity: OpportunityInput | None = changes.pop("opportunity", None)
    if current_customer_id is None and "customer_id" not in changes:
        prefilled = await customer_from_opportunity(uow, opportunity)
        if prefilled is not None:
            changes["customer_id"] = prefilled
    customer_id = changes.get("customer_id", current_customer_id)
    new_customer = None
    if customer_id != current_customer_id:
        new_customer = await uow.customers.get(customer_id) if customer_id else None
        if new_customer is None:
            raise InvalidOrder("customer_id", "no customer has this id")
    for kind in AddressKind:
        address_id = changes.pop(f"{kind.value}_address_id", None)
        if address_id is not None:
            changes[f"{kind.value}_address"] = await pick_address(
                uow, customer_id, kind, changes.get(f"{kind.value}_address"), address_id
            )
    if new_customer is not None:
        # Addresses not given follow the new customer, as they would on a new order.
        changes.setdefault("billing_address", new_customer.billing_address)
        changes.setdefault(
            "shipping_address", new_customer.shipping_address or changes["billing_address"]
        )
    if "opportunity" in given:
        changes["opportunity"] = (
            await remember_opportunity(uow, opportunity, customer_id) if opportunity else None
        )
    return changes


async def revise_order(
    uow: AbstractUnitOfWork,
    order_id: str,
    changes: Mapping[str, Any],
    lines: Sequence[LineInput] | None,
    *,
    correlation_id: str | None = None,
) -> Order:
    """Change a draft: the header fields given, and all lines if lines are given.

    A copy that gets its customer here is announced (order.created) now.
    """
    order = await get_order(uow, order_id, for_update=True)
    order.ensure_editable()
    had_customer = order.customer_id is not None
    order.revise(await resolve_changes(uow, order.customer_id, changes), lines)
    order.updated_at = utcnow()
    await uow.orders.save(order, lines=lines is not None)
    if not had_customer and order.customer_id is not None:
        customer = await _customer_of(uow, order)
        summary = f"{created_summary(order)}; customer {customer.name} chosen"
        await announce_order(uow, order, customer, summary, correlation_id=correlation_id)
    return order


async def revise_details(
    uow: AbstractUnitOfWork, order_id: str, changes: Mapping[str, Any]
) -> Order:
    """Fill in the fields a stage may require (draft or open orders)."""
    order = await get_order(uow, order_id, for_update=True)
    resolved = await resolve_changes(uow, order.customer_id, changes)
    order.revise_details(resolved)
    order.updated_at = utcnow()
    await uow.orders.save(order)
    if resolved:
        await uow.note(
            "orders.order.details_changed",
            summary=f"Details changed: {', '.join(sorted(resolved))}",
            data={"order_id": order.id, "fields": sorted(resolved)},
            order_id=order.id,
        )
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
        order_event(
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
    previous = order.cancel(reason)
    order.updated_at = utcnow()
    await uow.orders.save(order)
    summary = f"Order cancelled (was {previous.value})"
    if reason:
        summary += f": {reason}"
    await uow.publish(
        order_event(
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
        order_event(
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


async def archive_order(uow: AbstractUnitOfWork, order_id: str, *, archived: bool) -> Order:
    """Hide a concluded or cancelled order from the default lists (or show it again)."""
    order = await get_order(uow, order_id, for_update=True)
    now = utcnow()
    if archived:
        order.archive(now)
    else:
        order.unarchive()
    order.updated_at = now
    await uow.orders.save(order)
    action = "archived" if archived else "unarchived"
    await uow.note(
        f"orders.order.{action}",
        summary=f"Order {action}",
        data={"order_id": order.id, "number": order.number},
        order_id=order.id,
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


async def document_emailed(uow: AbstractUnitOfWork, event: CloudEvent[Any]) -> Order | None:
    """Put an e-mailed document (or a failed e-mail) on its order's or quote's timeline.

    The same e-mail's outcome reported twice (under another event id) is recorded once.
    """
    data: DocumentEmailed = event.data
    order_id, quote_id, label = None, None, "Document"
    if data.order_id is not None:
        order = await get_order(uow, data.order_id)
        order_id = order.id
        kind = next((d.kind for d in order.documents if d.document_id == data.document_id), None)
        if kind is not None:
            label = DOCUMENT_LABELS.get(kind, kind.replace("_", " ").capitalize())
    elif data.quote_id is not None:
        quote = await uow.quotes.get(data.quote_id)
        if quote is None:
            raise QuoteNotFound(data.quote_id)
        quote_id, label = quote.id, f"Quote {quote.number}"
    else:
        log.info("e-mail %s is about no order and no quote: not recorded", data.email_id)
        return None
    match = {"email_id": data.email_id, "status": data.status.value}
    if await uow.has_entry(event.type, match, order_id=order_id, quote_id=quote_id):
        log.info("e-mail %s (%s) already recorded", data.email_id, data.status.value)
        return None
    to = ", ".join(data.to)
    if data.status.value == "sent":
        summary = f"{label} e-mailed to {to}"
    else:
        summary = f"E-mail to {to} failed after {data.attempts} attempts: {data.error or ''}"
    await uow.record(event, summary=summary.rstrip(": "), order_id=order_id, quote_id=quote_id)
    return None


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
