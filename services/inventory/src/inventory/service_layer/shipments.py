"""Use cases of shipments: reserved stock leaves the warehouse for an order."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts import EventType
from contracts.events import ShipmentDispatched
from inventory.domain.commands import DispatchShipment
from inventory.domain.model import MovementKind, aggregate, ship
from inventory.domain.records import Shipment, StockChange
from inventory.service_layer.events import command_event, stock_lines
from inventory.service_layer.ports import Page, UnitOfWork


async def dispatch_shipment(uow: UnitOfWork, command: DispatchShipment) -> Shipment:
    """Ship part or all of what an order has reserved; records shipment.dispatched.

    Refused (ShipmentExceedsReservation) when a SKU exceeds what is reserved and not yet
    shipped for the order; nothing changes then.
    """
    order_id = command.order_id
    requested = aggregate(command.lines)
    levels = await uow.stock.lock(requested)
    held = await uow.reservations.lines(order_id, for_update=True)
    plan = ship(requested, held, levels)

    shipment_id = str(uuid.uuid4())
    created_at = await uow.shipments.add(
        shipment_id=shipment_id,
        order_id=order_id,
        lines=plan.lines,
        fully_shipped=plan.fully_shipped,
    )
    for sku, amount in plan.lines.items():
        await uow.reservations.save_line(held[sku])
        await uow.stock.save(levels[sku])
        reason = f"shipment {shipment_id} of order {order_id}"
        await uow.stock.add_movement(
            levels[sku],
            StockChange(MovementKind.SHIPMENT, -amount, -amount, shipment_id, reason, order_id),
        )
    event = command_event(
        EventType.SHIPMENT_DISPATCHED,
        ShipmentDispatched(
            order_id=order_id,
            shipment_id=shipment_id,
            lines=stock_lines(plan.lines),
            fully_shipped=plan.fully_shipped,
        ),
        subject=order_id,
        by=command,
    )
    await uow.record(event)
    return Shipment(
        id=shipment_id,
        order_id=order_id,
        lines=plan.lines,
        fully_shipped=plan.fully_shipped,
        created_at=created_at,
    )


async def get_shipment(uow: UnitOfWork, shipment_id: str) -> Shipment | None:
    return await uow.shipments.get(shipment_id)


async def list_shipments(
    uow: UnitOfWork,
    *,
    limit: int,
    order_id: str | None = None,
    after: tuple[datetime, str] | None = None,
) -> Page[Shipment]:
    """Shipments oldest first (by creation time, then id); returns the page and whether more."""
    return await uow.shipments.page(limit=limit, order_id=order_id, after=after)
