"""Use cases of reservations: reserve a confirmed order, release a cancelled one, backorders.

Each function runs inside the caller's transaction and writes its events to the outbox there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType, new_event
from contracts.common import StockLine
from contracts.events import Shortage as ShortagePayload
from contracts.events import StockReleased, StockReservationFailed, StockReserved
from inventory.adapters import repository
from inventory.adapters.tables import reservation_lines
from inventory.domain.model import (
    ZERO,
    Backorder,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    ReservationLine,
    StockLevel,
    fulfil_backorders,
    product_demand,
    reserve_all_or_none,
    tidy,
)
from inventory.service_layer.locking import MoreLocksNeeded, with_restarts
from inventory.service_layer.messages import SOURCE, emit


class ReservationOutcome(StrEnum):
    NOTHING_TO_RESERVE = "nothing_to_reserve"
    ALREADY_HANDLED = "already_handled"
    RESERVED = "reserved"
    BACKORDERED = "backordered"


def _stock_lines(quantities: Mapping[str, Decimal]) -> list[StockLine]:
    return [StockLine(sku=sku, quantity=tidy(q)) for sku, q in sorted(quantities.items())]


async def _record_reservations(
    session: AsyncSession,
    order_id: str,
    demand: Mapping[str, Decimal],
    levels: Mapping[str, StockLevel],
    reason: str,
) -> None:
    """Persist levels already reserved in memory, with one ledger row per SKU."""
    for sku in sorted(demand):
        level = levels[sku]
        await repository.save_level(session, level)
        await repository.add_movement(
            session,
            level,
            MovementKind.RESERVATION,
            on_hand_change=ZERO,
            reserved_change=demand[sku],
            reference=order_id,
            order_id=order_id,
            reason=reason,
        )


async def reserve_order(
    session: AsyncSession,
    *,
    order_id: str,
    number: str | None,
    lines: Iterable[tuple[str, str, Decimal]],
    cause: CloudEvent[Any],
) -> ReservationOutcome:
    """Reserve every stocked line of a confirmed order, or nothing and backorder it.

    `lines` are (sku, kind, quantity). Emits stock.reserved, or stock.reservation_failed with
    the shortages; an order already acted on (or without stocked lines) changes nothing.
    """
    lines = list(lines)
    kinds = await repository.product_kinds(
        session, {sku for sku, kind, _ in lines if kind == ItemKind.PRODUCT.value}
    )
    services = [sku for sku, kind in kinds.items() if kind == ItemKind.SERVICE.value]
    demand = product_demand(lines, services)
    if not demand:
        return ReservationOutcome.NOTHING_TO_RESERVE
    levels = await repository.lock_levels(session, demand)
    claimed = await repository.claim_demand(
        session,
        order_id=order_id,
        number=number,
        status=DemandStatus.RESERVED,
        correlation_id=cause.correlationid or cause.id,
        causation_id=cause.id,
    )
    if not claimed:
        return ReservationOutcome.ALREADY_HANDLED

    missing = reserve_all_or_none(demand, levels)
    if missing:
        await repository.set_demand_status(session, order_id, DemandStatus.BACKORDERED)
        await repository.insert_lines(session, order_id, demand, LineStatus.BACKORDERED)
        payload = StockReservationFailed(
            order_id=order_id,
            shortages=[
                ShortagePayload(sku=s.sku, requested=tidy(s.requested), available=tidy(s.available))
                for s in missing
            ],
        )
        failed = cause.caused(
            EventType.STOCK_RESERVATION_FAILED, payload, source=SOURCE, subject=order_id
        )
        await emit(session, failed)
        return ReservationOutcome.BACKORDERED

    await _record_reservations(
        session, order_id, demand, levels, reason=f"order {number or order_id} confirmed"
    )
    await repository.insert_lines(session, order_id, demand, LineStatus.RESERVED)
    reserved = StockReserved(order_id=order_id, lines=_stock_lines(demand))
    await emit(
        session, cause.caused(EventType.STOCK_RESERVED, reserved, source=SOURCE, subject=order_id)
    )
    return ReservationOutcome.RESERVED


async def release_order(
    session: AsyncSession,
    *,
    order_id: str,
    number: str | None,
    reason: str | None,
    cause: CloudEvent[Any],
) -> dict[str, Decimal]:
    """Release what a cancelled order still holds, drop its backorder; returns what was released.

    Emits stock.released when something was released, and offers the freed stock to the
    orders waiting for it. A cancellation that arrives before (or instead of) the confirmation
    is remembered, so a late confirmation reserves nothing.
    """

    async def attempt(extra: set[str]) -> dict[str, Decimal]:
        # Unlocked reads tell which SKUs to lock; the locks are then taken in the global order.
        held = await repository.load_lines(session, order_id)
        open_skus = {sku for sku, line in held.items() if line.open > 0}
        waiting = await repository.backorders_involving(session, open_skus)
        locked = open_skus | extra | {sku for order in waiting for sku in order.demand}
        levels = await repository.lock_levels(session, locked)
        demand = await repository.lock_demand(session, order_id)
        if demand is None:
            remembered = await repository.claim_demand(
                session,
                order_id=order_id,
                number=number,
                status=DemandStatus.CANCELLED,
                correlation_id=cause.correlationid or cause.id,
                causation_id=cause.id,
            )
            if not remembered:  # the confirmation committed meanwhile: start again
                raise MoreLocksNeeded()
            return {}
        if demand.status == DemandStatus.CANCELLED.value:
            return {}

        lines = await repository.load_lines(session, order_id, for_update=True)
        late = {sku for sku, line in lines.items() if line.open > 0} - locked
        if late:  # reserved after the unlocked read
            raise MoreLocksNeeded(late)
        text = f"order {number or order_id} cancelled" + (f": {reason}" if reason else "")
        released: dict[str, Decimal] = {}
        for sku, line in lines.items():
            if line.open <= 0:
                continue
            level = levels[sku]
            amount = line.release_open()
            level.release(amount)
            released[sku] = amount
            await repository.save_line(session, line)
            await repository.save_level(session, level)
            await repository.add_movement(
                session,
                level,
                MovementKind.RELEASE,
                on_hand_change=ZERO,
                reserved_change=-amount,
                reference=order_id,
                order_id=order_id,
                reason=text,
            )
        await repository.delete_backordered_lines(session, order_id)
        await repository.set_demand_status(session, order_id, DemandStatus.CANCELLED)
        if released:
            payload = StockReleased(order_id=order_id, lines=_stock_lines(released))
            event = cause.caused(EventType.STOCK_RELEASED, payload, source=SOURCE, subject=order_id)
            await emit(session, event)
            await retry_backorders(
                session, released, levels, locked, causation_id=event.id, actor=cause.actor
            )
        return released

    return await with_restarts(session, attempt)


async def skus_to_lock_for_increase(session: AsyncSession, sku: str) -> set[str]:
    """`sku` and every SKU that the orders waiting for it need (read without locks)."""
    waiting = await repository.backorders_involving(session, [sku])
    return {sku, *(other for order in waiting for other in order.demand)}


async def retry_backorders(
    session: AsyncSession,
    skus: Collection[str],
    levels: dict[str, StockLevel],
    locked: Collection[str],
    *,
    causation_id: str,
    actor: str | None = None,
) -> list[str]:
    """More of `skus` is available: reserve for the orders waiting for them, oldest first.

    Each waiting order is reserved whole or not at all, and gets its stock.reserved event.
    `levels` are the levels the caller locked (it asked for `locked`). A waiting order that
    needs a SKU outside `locked` raises MoreLocksNeeded: the caller starts again with it.
    Returns the ids of the orders reserved.
    """
    waiting = await repository.backorders_involving(session, skus)
    if not waiting:
        return []
    needed = {sku for order in waiting for sku in order.demand} - set(locked)
    if needed:  # an order was backordered after the caller's unlocked read
        raise MoreLocksNeeded(needed)
    demands = await repository.lock_backordered_demands(session, [o.order_id for o in waiting])
    candidates = [order for order in waiting if order.order_id in demands]
    fulfilled = fulfil_backorders(candidates, levels)
    for order in fulfilled:
        row = demands[order.order_id]
        await _record_reservations(
            session,
            order.order_id,
            order.demand,
            levels,
            reason=f"backordered order {row.number or order.order_id} reserved",
        )
        await _mark_lines_reserved(session, order)
        await repository.set_demand_status(session, order.order_id, DemandStatus.RESERVED)
        event = new_event(
            EventType.STOCK_RESERVED,
            StockReserved(order_id=order.order_id, lines=_stock_lines(order.demand)),
            source=SOURCE,
            subject=order.order_id,
            correlation_id=row.correlation_id,
            causation_id=causation_id,
            actor=actor,
        )
        await emit(session, event)
    return [order.order_id for order in fulfilled]


async def _mark_lines_reserved(session: AsyncSession, order: Backorder) -> None:
    for sku in order.demand:
        line = ReservationLine(order_id=order.order_id, sku=sku, quantity=order.demand[sku])
        await repository.save_line(session, line)


async def list_lines(
    session: AsyncSession,
    *,
    limit: int,
    order_id: str | None = None,
    sku: str | None = None,
    status: LineStatus | None = None,
    after: tuple[str, str] | None = None,
) -> tuple[list[Any], bool]:
    """Reservation lines (backordered ones included) in (order id, SKU) order."""
    query = (
        select(reservation_lines)
        .order_by(reservation_lines.c.order_id, reservation_lines.c.sku)
        .limit(limit + 1)
    )
    conditions = []
    if order_id is not None:
        conditions.append(reservation_lines.c.order_id == order_id)
    if sku is not None:
        conditions.append(reservation_lines.c.sku == sku)
    if status is not None:
        conditions.append(reservation_lines.c.status == status.value)
    if after is not None:
        conditions.append(
            tuple_(reservation_lines.c.order_id, reservation_lines.c.sku) > tuple_(*after)
        )
    if conditions:
        query = query.where(and_(*conditions))
    rows = (await session.execute(query)).all()
    return list(rows[:limit]), len(rows) > limit
