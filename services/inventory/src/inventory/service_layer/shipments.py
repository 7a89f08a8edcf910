"""Use cases of shipments: reserved stock leaves the warehouse for an order."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from contracts import EventType
from contracts.events import ShipmentDelivered, ShipmentDispatched
from inventory.domain.commands import ConfirmDelivery, DispatchShipment
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    DeliveryRefused,
    MovementKind,
    StockRuleViolation,
    UnknownShipment,
    aggregate,
    fully_shipped,
    ship,
)
from inventory.domain.records import NewShipment, Shipment, StockChange
from inventory.service_layer.events import command_event, record_level, stock_lines
from inventory.service_layer.ports import Page, UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


async def dispatch_shipment(uow: UnitOfWork, command: DispatchShipment) -> Shipment:
    """Ship part or all of what an order has reserved; records shipment.dispatched.

    Refused (ShipmentExceedsReservation) when a SKU exceeds what is reserved and not yet
    shipped for the order; nothing changes then.
    """
    order_id = command.order_id
    requested = aggregate(command.lines)
    warehouse = command.warehouse or await _leaves_from(uow, order_id, requested)
    levels = await uow.stock.lock(requested, warehouse)
    held = await uow.reservations.lines(order_id, for_update=True)
    here = {sku: line for sku, line in held.items() if line.warehouse == warehouse}
    plan = ship(requested, here, levels)
    # Every line of the order, anywhere; what a revision left waiting is still to ship.
    plan.fully_shipped = fully_shipped(held.values()) and not await uow.revisions.waits(order_id)

    shipment_id = str(uuid.uuid4())
    reason = f"shipment {shipment_id} of order {order_id}"
    event = command_event(
        EventType.SHIPMENT_DISPATCHED,
        ShipmentDispatched(
            order_id=order_id,
            shipment_id=shipment_id,
            lines=stock_lines(plan.lines),
            fully_shipped=plan.fully_shipped,
            carrier=command.carriage.carrier,
            tracking_number=command.carriage.tracking_number,
            shipping_date=command.carriage.shipping_date,
            warehouse=warehouse,
        ),
        subject=order_id,
        by=command,
    )
    shipment = NewShipment(
        shipment_id, order_id, plan.lines, plan.fully_shipped, command.carriage, warehouse
    )
    created_at = await uow.ship(
        shipment,
        saved_lines=[held[sku] for sku in plan.lines],
        moves=[
            (
                levels[sku],
                StockChange(MovementKind.SHIPMENT, -amount, -amount, shipment_id, reason, order_id),
            )
            for sku, amount in plan.lines.items()
        ],
        event=event,
    )
    for sku in plan.lines:
        await record_level(uow, levels[sku])
    return shipment.stored(created_at)


async def _leaves_from(uow: UnitOfWork, order_id: str, requested: Mapping[str, Decimal]) -> str:
    """The one warehouse the requested lines are reserved in (a shipment leaves one place);
    lines reserved in several → refused (409): ship them separately, naming the warehouse."""
    held = await uow.reservations.lines(order_id)
    places = sorted({held[sku].warehouse for sku in requested if sku in held})
    if len(places) > 1:
        raise StockRuleViolation(
            sorted(requested)[0],
            f"the lines are reserved in {', '.join(places)}: a shipment leaves one warehouse, "
            "ship them separately naming it",
        )
    return places[0] if places else MAIN_WAREHOUSE


async def get_shipment(uow: UnitOfWork, shipment_id: str) -> Shipment | None:
    return await uow.shipments.get(shipment_id)


async def confirm_delivery(
    uow: UnitOfWork, command: ConfirmDelivery, *, now: Callable[[], datetime] = utcnow
) -> Shipment:
    """The carrier delivered the shipment; records shipment.delivered. 409 when it was already
    delivered, or for a delivery before it was shipped (its shipping date, else its creation)."""
    shipment = await uow.shipments.get(command.shipment_id, for_update=True)
    if shipment is None:
        raise UnknownShipment(command.shipment_id)
    if shipment.delivered_at is not None:
        raise DeliveryRefused(
            f"shipment {shipment.id} was already delivered at {shipment.delivered_at.isoformat()}"
        )
    delivered_at = command.delivered_at or now()
    shipped_on = shipment.shipping_date or shipment.created_at.date()
    if delivered_at.date() < shipped_on:
        raise DeliveryRefused(
            f"shipment {shipment.id} left on {shipped_on.isoformat()}: it cannot have been "
            f"delivered on {delivered_at.date().isoformat()}"
        )
    await uow.shipments.mark_delivered(shipment.id, delivered_at)
    payload = ShipmentDelivered(
        order_id=shipment.order_id,
        shipment_id=shipment.id,
        delivered_at=delivered_at,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
    )
    await uow.record(
        command_event(EventType.SHIPMENT_DELIVERED, payload, subject=shipment.order_id, by=command)
    )
    return replace(shipment, delivered_at=delivered_at)


async def list_shipments(
    uow: UnitOfWork,
    *,
    limit: int,
    order_id: str | None = None,
    after: tuple[datetime, str] | None = None,
) -> Page[Shipment]:
    """Shipments oldest first (by creation time, then id); returns the page and whether more."""
    return await uow.shipments.page(limit=limit, order_id=order_id, after=after)
