"""A confirmed order was revised: reserve or release only the difference.

`suite.order.revised.v1` carries the order's content as it now is. Its product lines (the SKUs
this catalogue knows as services left out) are the order's new demand, compared with what the
order holds here:

- a reserved order gets, per SKU, the increase reserved when it is all available, else that
  increase waits for stock (reserved when stock arrives, see `service_layer.waits`); a decrease
  shrinks a wait first, then releases down to the new quantity, never below what has shipped,
  and the released stock is offered to the orders waiting for it;
- a backordered order (nothing reserved yet) waits with its new demand, and is reserved at once
  if that now fits; an order with no demand here yet (nothing stocked when it was confirmed) is
  reserved like a confirmation;
- a cancelled order changes nothing.

The answer is one `suite.stock.reservation_changed.v1` with what was reserved, released and is
still waiting. Each revision applies once and only forwards: the demand remembers the last
revision applied, and an older (or repeated) one is ignored. The same revision under a new
event id would change nothing anyway: the new demand is compared with what is held.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

from contracts import CloudEvent, EventType
from contracts.events import OrderRevised, StockReservationChanged
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    ZERO,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    StockLevel,
    product_demand,
    reserve_all_or_none,
)
from inventory.domain.records import OrderDemand, StockChange
from inventory.domain.revisions import plan_revision
from inventory.service_layer.events import SOURCE, record_level, stock_lines
from inventory.service_layer.locking import MoreLocksNeeded, with_restarts
from inventory.service_layer.ports import UnitOfWork
from inventory.service_layer.reservations import _record_reservations, retry_backorders

log = logging.getLogger(__name__)

# Records the answer: (reserved, released, waiting) → the event recorded.
Answer = Callable[
    [Mapping[str, Decimal], Mapping[str, Decimal], Mapping[str, Decimal]],
    Awaitable[CloudEvent[StockReservationChanged]],
]


async def revise_reservation(
    uow: UnitOfWork, cause: CloudEvent[OrderRevised]
) -> StockReservationChanged | None:
    """Apply a revision of an order to what it holds; returns the answer recorded (None: the
    order is cancelled here, or the revision is not newer than the last one applied)."""
    order, revision = cause.data.order, cause.data.revision
    order_id = order.order_id
    lines = [(line.sku, line.kind.value, line.quantity) for line in order.lines]
    product_skus = {sku for sku, kind, _ in lines if kind == ItemKind.PRODUCT.value}
    kinds = await uow.products.kinds(product_skus)
    services = [sku for sku, kind in kinds.items() if kind is ItemKind.SERVICE]
    demand = product_demand(lines, services)
    text = f"order {order.number} revision {revision}"

    async def answer(
        reserved: Mapping[str, Decimal],
        released: Mapping[str, Decimal],
        waiting: Mapping[str, Decimal],
    ) -> CloudEvent[StockReservationChanged]:
        payload = StockReservationChanged(
            order_id=order_id,
            revision=revision,
            reserved=stock_lines(reserved),
            released=stock_lines(released),
            waiting=stock_lines(waiting),
            fully_reserved=not waiting,
        )
        event = cause.caused(
            EventType.STOCK_RESERVATION_CHANGED, payload, source=SOURCE, subject=order_id
        )
        await uow.record(event)
        await uow.revisions.set_applied_revision(order_id, revision)
        return event

    async def attempt(extra: set[str]) -> StockReservationChanged | None:
        # Unlocked reads tell which SKUs to lock; the locks are then taken in the global order.
        held = await uow.reservations.lines(order_id)
        skus = {*demand, *held, *await uow.revisions.waits(order_id)}
        locked = skus | extra | await uow.reservations.skus_waited_with(skus)
        # A SKU the order holds stays in its warehouse; a new one goes where the order is held
        # (its first line's warehouse), else where it named, else the default warehouse.
        home = next(iter(held.values())).warehouse if held else order.warehouse or MAIN_WAREHOUSE
        where = {sku: held[sku].warehouse if sku in held else home for sku in locked}
        places = await uow.stock.lock_in((where[sku], sku) for sku in locked)
        levels = {sku: places[(where[sku], sku)] for sku in locked if (where[sku], sku) in places}
        current = await uow.reservations.lock_demand(order_id)
        if current is None:
            claimed = await uow.reservations.claim_demand(
                OrderDemand(order_id, order.number, DemandStatus.RESERVED, cause.correlationid),
                causation_id=cause.id,
            )
            if not claimed:  # the order was acted on meanwhile: start again
                raise MoreLocksNeeded()
            return (await _whole(uow, order_id, demand, levels, text, answer, home)).data
        if current.status is DemandStatus.CANCELLED:
            log.info("%s: the order is cancelled here, nothing to change", text)
            return None
        if revision <= await uow.revisions.applied_revision(order_id):
            log.info("%s: already applied (or older than the last applied)", text)
            return None
        if current.status is DemandStatus.BACKORDERED:
            await uow.reservations.drop_backordered_lines(order_id)
            return (await _whole(uow, order_id, demand, levels, text, answer, home)).data

        held = await uow.reservations.lines(order_id, for_update=True)
        late = {sku for sku, line in held.items() if (line.warehouse, sku) not in places}
        if late:  # reserved after the unlocked read
            raise MoreLocksNeeded(late)
        waits = await uow.revisions.waits(order_id, for_update=True)
        plan = plan_revision(order_id, demand, held, waits, levels)
        for sku, line in sorted(plan.lines.items()):
            line.warehouse = where[sku]  # a new line: where its level was locked
            await uow.revisions.put_line(line)
            change = plan.reserved.get(sku, ZERO) - plan.released.get(sku, ZERO)
            kind = MovementKind.RESERVATION if change > 0 else MovementKind.RELEASE
            await uow.stock.save(levels[sku])
            await record_level(uow, levels[sku])
            await uow.stock.add_movement(
                levels[sku], StockChange.of_order(kind, order_id, change, text)
            )
        await uow.revisions.replace_waits(order_id, plan.waiting)
        event = await answer(plan.reserved, plan.released, plan.waiting)
        if plan.released:
            await retry_backorders(
                uow,
                plan.released,
                levels,
                locked,
                causation_id=event.id,
                actor=cause.actor,
                warehouse=home,
            )
        return event.data

    return await with_restarts(uow, attempt)


async def _whole(
    uow: UnitOfWork,
    order_id: str,
    demand: Mapping[str, Decimal],
    levels: dict[str, StockLevel],
    text: str,
    answer: Answer,
    warehouse: str,
) -> CloudEvent[StockReservationChanged]:
    """An order holding nothing yet: reserve its whole demand, or let it all wait (backordered,
    first come first served like a confirmation that did not fit)."""
    if demand and reserve_all_or_none(demand, levels):
        await uow.reservations.set_demand_status(order_id, DemandStatus.BACKORDERED)
        await uow.reservations.add_lines(
            order_id, demand, LineStatus.BACKORDERED, {sku: warehouse for sku in demand}
        )
        return await answer({}, {}, demand)
    await _record_reservations(uow, order_id, demand, levels, reason=text)
    if demand:
        await uow.reservations.add_lines(
            order_id, demand, LineStatus.RESERVED, {sku: warehouse for sku in demand}
        )
    await uow.reservations.set_demand_status(order_id, DemandStatus.RESERVED)
    return await answer(demand, {}, {})
