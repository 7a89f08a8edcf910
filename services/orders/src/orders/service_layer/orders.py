"""Use cases of an order's life as people drive it: create, copy, revise, confirm, cancel,
complete, archive. Each changes the order and records its events in the same unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts import CloudEvent, EventType
from contracts.common import StockLine
from contracts.events import (
    OrderCancelled,
    OrderClosedShort,
    OrderCompleted,
    OrderConfirmed,
    OrderCreated,
)
from orders.domain.content import (
    LineInput,
    build_lines,
    check_delivery_dates,
    content_of,
    line_inputs_of,
)
from orders.domain.customer import Customer
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.numbering import format_order_number
from orders.domain.order import BLANKED_ON_COPY, Order
from orders.domain.totals import plain
from orders.service_layer.catalogue import check_warehouse, price_lines
from orders.service_layer.content import NewContent, resolve_changes, resolve_content
from orders.service_layer.customers import CustomerNotFound
from orders.service_layer.events import record_order_event, utcnow
from orders.service_layer.ownership import default_owner, visible
from orders.service_layer.snapshots import snapshot
from orders.service_layer.unit_of_work import UnitOfWork


class OrderNotFound(LookupError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"no order {order_id}")


@dataclass(frozen=True)
class NewOrder(NewContent):
    order_date: date | None = None
    contract_number: str | None = None
    warehouse: str | None = None  # reserve and ship from this one only (None: by the rule)
    split_allowed: bool = False
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None


async def get_order(uow: UnitOfWork, order_id: str, *, for_update: bool = False) -> Order:
    order = visible(await uow.orders.get(order_id, for_update=for_update))
    if order is None:  # or not the viewer's to see: its existence is not revealed
        raise OrderNotFound(order_id)
    return order


async def customer_of(uow: UnitOfWork, order: Order) -> Customer:
    if order.customer_id is None:
        raise InvalidOrder("customer_id", "the order has no customer yet")
    customer = await uow.customers.get(order.customer_id)
    if customer is None:  # the foreign key makes this impossible in the database
        raise CustomerNotFound(order.customer_id)
    return customer


def created_summary(order: Order) -> str:
    gross = order.totals.gross
    return f"Order {order.number} created: {len(order.lines)} line(s), {gross} {order.currency}"


async def announce_order(
    uow: UnitOfWork,
    order: Order,
    customer: Customer,
    summary: str,
    *,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None = None,
    add: bool = False,
) -> None:
    """Record order.created: the order exists with a customer (copies: once one is chosen).
    `add`: the order is new, and stored with its event."""
    await record_order_event(
        uow,
        order,
        EventType.ORDER_CREATED,
        OrderCreated(order=snapshot(order, customer), external_reference=order.external_reference),
        summary=summary,
        correlation_id=correlation_id,
        cause=cause,
        add=add,
    )


async def new_order(uow: UnitOfWork, fields: dict[str, Any], **extra: Any) -> Order:
    """An order with the next number of the year (not stored yet)."""
    now = utcnow()
    sequence = await uow.next_order_sequence(now.year)
    extra.setdefault("order_date", now.date())
    owner, team = default_owner()
    extra.setdefault("owner", owner)
    extra.setdefault("team", team)
    return Order(
        id=str(uuid.uuid4()),
        number=format_order_number(now.year, sequence),
        created_at=now,
        updated_at=now,
        **fields,
        **extra,
    )


async def create_order(
    uow: UnitOfWork,
    new: NewOrder,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
    external_reference: str | None = None,
    confirm: bool = False,
) -> Order:
    """A draft with the next number of the year; records order.created. A named warehouse must
    be known and active (422 naming `warehouse`). `confirm`: confirmed at once as well, as
    `confirm_order` would (order.confirmed recorded after order.created), and stored as
    confirmed: its header is written once, not written and then updated."""
    # The customer and the items it names, in one round trip: the reads below take them.
    await uow.read_ahead_for_new_order(new.customer_id, {line.sku for line in new.lines})
    await check_warehouse(uow, new.warehouse)
    resolved = await resolve_content(uow, new)
    order_date = new.order_date or utcnow().date()
    lines = build_lines(
        await price_lines(
            uow, new.lines, new.currency, customer_id=resolved.customer.id, day=order_date
        ),
        currency=new.currency,
    )
    dates = {
        "requested_delivery_date": new.requested_delivery_date,
        "promised_delivery_date": new.promised_delivery_date,
    }
    check_delivery_dates(order_date, dates, lines)
    order = await new_order(
        uow,
        resolved.fields(new),
        lines=lines,
        order_date=order_date,
        contract_number=new.contract_number,
        warehouse=new.warehouse,
        split_allowed=new.split_allowed,
        external_reference=external_reference,
        **dates,
    )
    if order.owner is None:  # submitted by another system: the customer's owner takes it
        order.owner, order.team = resolved.customer.owner, resolved.customer.team
    summary = created_summary(order)
    if external_reference:
        summary += f", external reference {external_reference}"
    if confirm:
        await _confirm_unrecorded(uow, order)  # before it is stored: stored confirmed
    await announce_order(
        uow,
        order,
        resolved.customer,
        summary,
        correlation_id=correlation_id,
        cause=cause,
        add=True,  # stored with its event: one round trip for both
    )
    if confirm:
        await _record_confirmed(uow, order, correlation_id=correlation_id, cause=cause, save=False)
    return order


async def copy_order(uow: UnitOfWork, order_id: str, *, correlation_id: str | None = None) -> Order:
    """A new draft with the lines, prices and texts of another order (in any status).

    Customer, contact and opportunity are left blank for the user to fill in: order.created is
    recorded once the copy has a customer.
    """
    source = await get_order(uow, order_id)
    fields = content_of(source, blank=BLANKED_ON_COPY)
    order = await new_order(
        uow,
        fields,
        # Not its delivery dates: they were promised for the source order.
        lines=build_lines(line_inputs_of(source.lines, dates=False), currency=source.currency),
        contract_number=source.contract_number,
        warehouse=source.warehouse,
        split_allowed=source.split_allowed,
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


async def revise_order(
    uow: UnitOfWork,
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
    await check_warehouse(uow, changes.get("warehouse"))
    had_customer = order.customer_id is not None
    if lines is not None:
        lines = await price_lines(
            uow,
            lines,
            changes.get("currency") or order.currency,
            customer_id=changes.get("customer_id") or order.customer_id,
            day=changes.get("order_date") or order.order_date,
        )
    order.revise(await resolve_changes(uow, order.customer_id, changes), lines)
    order.updated_at = utcnow()
    await uow.orders.save(order, lines=lines is not None)
    if not had_customer and order.customer_id is not None:
        customer = await customer_of(uow, order)
        summary = f"{created_summary(order)}; customer {customer.name} chosen"
        await announce_order(uow, order, customer, summary, correlation_id=correlation_id)
    return order


async def revise_details(uow: UnitOfWork, order_id: str, changes: Mapping[str, Any]) -> Order:
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
    uow: UnitOfWork,
    order_id: str,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
) -> Order:
    """draft → open; records order.confirmed with the full snapshot. The warehouse it names
    must still be known and active (a copy's, or one deactivated since): else 409, since it is
    the order's own field, not the request's, that stands in the way."""
    order = await get_order(uow, order_id, for_update=True)
    await _confirm_unrecorded(uow, order)
    await _record_confirmed(uow, order, correlation_id=correlation_id, cause=cause, save=True)
    return order


async def _confirm_unrecorded(uow: UnitOfWork, order: Order) -> None:
    """The order confirmed (draft → open), nothing recorded or stored yet."""
    status = order.status
    order.confirm()  # 409 unless a draft, before anything else
    try:
        await check_warehouse(uow, order.warehouse)
    except InvalidOrder as refused:
        raise IllegalTransition(
            "confirm",
            status,
            f"{refused.message}: change the order's warehouse first",
            details={"warehouse": order.warehouse},
        ) from None
    order.updated_at = utcnow()


async def _record_confirmed(
    uow: UnitOfWork,
    order: Order,
    *,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None,
    save: bool,
) -> None:
    """Record order.confirmed with the full snapshot; `save`: the order's header with it (not
    for an order stored confirmed already)."""
    products = len(order.product_lines)
    summary = "Order confirmed"
    if products:
        summary += f": stock to be reserved for {products} line(s)"
    await record_order_event(
        uow,
        order,
        EventType.ORDER_CONFIRMED,
        OrderConfirmed(order=snapshot(order, await customer_of(uow, order))),
        summary=summary,
        correlation_id=correlation_id,
        cause=cause,
        save=save,
    )


async def record_cancelled(
    uow: UnitOfWork, order: Order, previous_status: str, *, correlation_id: str | None
) -> None:
    """Record order.cancelled (inventory releases what it reserved for the order)."""
    reason = order.cancellation_reason
    summary = f"Order cancelled (was {previous_status})"
    if reason:
        summary += f": {reason}"
    await record_order_event(
        uow,
        order,
        EventType.ORDER_CANCELLED,
        OrderCancelled(
            order_id=order.id,
            number=order.number,
            reason=reason,
            previous_status=previous_status,
        ),
        summary=summary,
        correlation_id=correlation_id,
    )


async def cancel_order(
    uow: UnitOfWork,
    order_id: str,
    reason: str | None,
    *,
    correlation_id: str | None = None,
) -> Order:
    """draft/open → cancelled; records order.cancelled."""
    order = await get_order(uow, order_id, for_update=True)
    previous = order.cancel(reason)
    order.updated_at = utcnow()
    await uow.orders.save(order)
    await record_cancelled(uow, order, previous.value, correlation_id=correlation_id)
    return order


async def complete_order(
    uow: UnitOfWork, order_id: str, *, correlation_id: str | None = None
) -> Order:
    """open → concluded once shipped (services only: at once); records order.completed."""
    order = await get_order(uow, order_id, for_update=True)
    order.complete()
    order.updated_at = utcnow()
    await record_completed(uow, order, correlation_id=correlation_id, save=True)
    return order


async def record_completed(
    uow: UnitOfWork,
    order: Order,
    *,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
    save: bool = False,
) -> None:
    """Record order.completed with the snapshot billing invoices (what the lines deliver);
    `save`: save the order with it."""
    summary = f"Order completed: {order.totals.gross} {order.currency} to invoice"
    if order.closed_short_at is not None:
        summary = f"Order completed after closing short: {order.totals.gross} {order.currency} "
        summary += "to invoice for what shipped"
    await record_order_event(
        uow,
        order,
        EventType.ORDER_COMPLETED,
        OrderCompleted(order=snapshot(order, await customer_of(uow, order))),
        summary=summary,
        correlation_id=correlation_id,
        cause=cause,
        save=save,
    )


async def close_short_order(
    uow: UnitOfWork,
    order_id: str,
    reason: str | None,
    *,
    correlation_id: str | None = None,
) -> Order:
    """End an open, partially shipped order early; records order.closed_short. Inventory
    releases the remainder, and its stock.released completes the order (reactions)."""
    order = await get_order(uow, order_id, for_update=True)
    now = utcnow()
    remainder = order.close_short(now, reason)
    order.updated_at = now
    await uow.orders.save(order)
    cancelled = ", ".join(f"{plain(quantity)} {sku}" for sku, quantity in remainder)
    summary = f"Order closed short: the unshipped remainder is cancelled ({cancelled or 'none'})"
    if reason:
        summary += f": {reason}"
    await record_order_event(
        uow,
        order,
        EventType.ORDER_CLOSED_SHORT,
        OrderClosedShort(
            order_id=order.id,
            number=order.number,
            reason=reason,
            remainder=[StockLine(sku=sku, quantity=quantity) for sku, quantity in remainder],
        ),
        summary=summary,
        correlation_id=correlation_id,
    )
    return order


async def archive_order(uow: UnitOfWork, order_id: str, *, archived: bool) -> Order:
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
