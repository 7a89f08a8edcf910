"""Stock arrived that revisions of reserved orders wait for: reserve it for them, oldest first.

Called where freed or received stock is offered to backordered orders (`retry_backorders`),
with the stock levels the caller locked; it needs no other lock than those levels, then the
waits and the lines of the orders it serves (the global lock order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from decimal import Decimal

from contracts import EventType, new_event
from contracts.events import StockReservationChanged
from inventory.domain.model import MAIN_WAREHOUSE, MovementKind, StockLevel
from inventory.domain.records import StockChange
from inventory.domain.revisions import entitled, fulfil_waits, holding
from inventory.service_layer.events import SOURCE, record_level, stock_lines
from inventory.service_layer.ports import UnitOfWork


async def serve_waits(
    uow: UnitOfWork,
    skus: Collection[str],
    levels: Mapping[str, StockLevel],
    *,
    causation_id: str,
    actor: str | None = None,
    warehouse: str = MAIN_WAREHOUSE,
) -> list[str]:
    """Reserve what revisions left waiting for `skus` (those of `levels`, in `warehouse`),
    each wait whole or not at all, for the orders whose line of the SKU is in that warehouse;
    records stock.reservation_changed per order served. Returns their ids."""
    waits = []
    for wait in await uow.revisions.waiting_for([sku for sku in skus if sku in levels]):
        held = (await uow.reservations.lines(wait.order_id)).get(wait.sku)
        if (held.warehouse if held is not None else MAIN_WAREHOUSE) == warehouse:
            waits.append(wait)
    served = fulfil_waits(waits, levels)
    reserved: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for wait, level_left in served:
        lines = await uow.reservations.lines(wait.order_id, for_update=True)
        line = lines.get(wait.sku)
        await uow.revisions.put_line(
            holding(wait.order_id, wait.sku, line, entitled(line) + wait.quantity, warehouse)
        )
        await uow.revisions.drop_wait(wait)
        reason = f"order {wait.order_id}: a revision's waiting quantity reserved"
        await uow.stock.add_movement(
            level_left,
            StockChange.of_order(MovementKind.RESERVATION, wait.order_id, wait.quantity, reason),
        )
        reserved[wait.order_id][wait.sku] = wait.quantity
    for sku in sorted({wait.sku for wait, _level in served}):
        await uow.stock.save(levels[sku])
        await record_level(uow, levels[sku])
    for order_id, quantities in reserved.items():
        remaining = await uow.revisions.waits(order_id)
        payload = StockReservationChanged(
            order_id=order_id,
            reserved=stock_lines(quantities),
            waiting=stock_lines(remaining),
            fully_reserved=not remaining,
        )
        event = new_event(
            EventType.STOCK_RESERVATION_CHANGED,
            payload,
            source=SOURCE,
            subject=order_id,
            causation_id=causation_id,
            actor=actor,
        )
        await uow.record(event)
    return list(reserved)
