"""Use cases of reservations: reserve a confirmed order, release a cancelled one, backorders.

Each runs in the caller's transaction (through the unit of work) and records its events there.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum

from contracts import CloudEvent, EventType, new_event
from contracts.events import (
    OrderCancelled,
    OrderClosedShort,
    OrderConfirmed,
    StockReleased,
    StockReservationFailed,
    StockReserved,
)
from contracts.events import Shortage as ShortagePayload
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    Backorder,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    ServedBackorder,
    StockLevel,
    fulfil_backorders,
    product_demand,
    tidy,
)
from inventory.domain.records import (
    Move,
    OrderDemand,
    ReservationFilter,
    ReservationRecord,
    StockChange,
)
from inventory.domain.warehouses import allocate, best_available, candidates
from inventory.service_layer.events import SOURCE, record_level, stock_lines
from inventory.service_layer.locking import MoreLocksNeeded, with_restarts
from inventory.service_layer.ports import Page, UnitOfWork
from inventory.service_layer.waits import serve_waits


class ReservationOutcome(StrEnum):
    NOTHING_TO_RESERVE = "nothing_to_reserve"
    ALREADY_HANDLED = "already_handled"
    RESERVED = "reserved"
    BACKORDERED = "backordered"


def _reservation_moves(
    order_id: str, demand: Mapping[str, Decimal], levels: Mapping[str, StockLevel], reason: str
) -> list[Move]:
    """Levels already reserved in memory (as the reservation left them), each with its ledger
    row, in SKU order."""
    return [
        (
            levels[sku],
            StockChange.of_order(MovementKind.RESERVATION, order_id, demand[sku], reason),
        )
        for sku in sorted(demand)
    ]


async def _record_reservations(
    uow: UnitOfWork,
    order_id: str,
    demand: Mapping[str, Decimal],
    levels: Mapping[str, StockLevel],
    reason: str,
) -> None:
    """Persist levels already reserved in memory, with one ledger row per SKU."""
    await uow.stock.save_moved(_reservation_moves(order_id, demand, levels, reason))
    for sku in sorted(demand):
        await record_level(uow, levels[sku])


Cause = CloudEvent[OrderConfirmed] | CloudEvent[OrderCancelled] | CloudEvent[OrderClosedShort]


def _demand_of(
    cause: Cause,
    *,
    order_id: str,
    number: str | None,
    status: DemandStatus,
    warehouse: str | None = None,
) -> OrderDemand:
    correlation_id = cause.correlationid or cause.id
    return OrderDemand(order_id, number, status, correlation_id=correlation_id, warehouse=warehouse)


async def _claim(
    uow: UnitOfWork,
    cause: Cause,
    *,
    order_id: str,
    number: str | None,
    status: DemandStatus,
    warehouse: str | None = None,
) -> bool:
    demand = _demand_of(cause, order_id=order_id, number=number, status=status, warehouse=warehouse)
    return await uow.reservations.claim_demand(demand, causation_id=cause.id)


async def reserve_order(uow: UnitOfWork, cause: CloudEvent[OrderConfirmed]) -> ReservationOutcome:
    """Reserve every stocked line of a confirmed order, or nothing and backorder it.

    Records stock.reserved, or stock.reservation_failed with the shortages; an order already
    acted on changes nothing. An order with product lines none of which is stocked (all are
    services here) is answered at once with a stock.reserved without lines: nothing to reserve,
    the order waits for no reservation. An order of service lines only expects no answer.
    """
    order = cause.data.order
    order_id, number = order.order_id, order.number
    lines = [(line.sku, line.kind.value, line.quantity) for line in order.lines]
    product_skus = {sku for sku, kind, _ in lines if kind == ItemKind.PRODUCT.value}
    kinds = await uow.products.kinds(product_skus)
    services = [sku for sku, kind in kinds.items() if kind is ItemKind.SERVICE]
    demand = product_demand(lines, services)
    if not demand:
        if product_skus:  # the order waits for an answer about its product lines
            return await _nothing_to_reserve(uow, cause)
        return ReservationOutcome.NOTHING_TO_RESERVE
    # The warehouses it may come from, in the order of the rule (ADR 25), all locked at once.
    named = order.warehouse
    tried = candidates(await uow.warehouses.all(), named)
    locked = await uow.stock.lock_in((w, sku) for w in tried for sku in demand)
    plan = allocate(demand, locked, tried, split=bool(order.split_allowed))
    if plan is None:
        claimed = await _claim(
            uow,
            cause,
            order_id=order_id,
            number=number,
            status=DemandStatus.BACKORDERED,
            warehouse=named,
        )
        if not claimed:
            return ReservationOutcome.ALREADY_HANDLED
        waiting_in = named or (tried[0] if tried else MAIN_WAREHOUSE)
        await uow.reservations.add_lines(
            order_id, demand, LineStatus.BACKORDERED, {sku: waiting_in for sku in demand}
        )
        # Short: what no single warehouse covers (or, when each SKU is covered somewhere but
        # no warehouse covers them all and the order may not be split, every SKU).
        best = best_available(demand, locked, tried)
        short = [sku for sku in sorted(demand) if demand[sku] > best[sku]] or sorted(demand)
        payload = StockReservationFailed(
            order_id=order_id,
            shortages=[
                ShortagePayload(sku=sku, requested=tidy(demand[sku]), available=tidy(best[sku]))
                for sku in short
            ],
        )
        failed = cause.caused(
            EventType.STOCK_RESERVATION_FAILED, payload, source=SOURCE, subject=order_id
        )
        await uow.record(failed)
        return ReservationOutcome.BACKORDERED

    # Reserved in memory, then claimed and written in one go: nothing is written if the order
    # was acted on before (the levels read are then dropped).
    levels = {sku: locked[(plan[sku], sku)] for sku in sorted(demand)}
    for sku in sorted(demand):
        levels[sku].reserve(demand[sku])
    reason = f"order {number or order_id} confirmed"
    reserved = StockReserved(order_id=order_id, lines=stock_lines(demand))
    claimed = await uow.claim_reserved(
        _demand_of(
            cause, order_id=order_id, number=number, status=DemandStatus.RESERVED, warehouse=named
        ),
        causation_id=cause.id,
        moves=_reservation_moves(order_id, demand, levels, reason),
        lines=demand,
        warehouses=plan,
        event=cause.caused(EventType.STOCK_RESERVED, reserved, source=SOURCE, subject=order_id),
    )
    if not claimed:
        return ReservationOutcome.ALREADY_HANDLED
    for sku in sorted(demand):
        await record_level(uow, levels[sku])
    return ReservationOutcome.RESERVED


async def _nothing_to_reserve(
    uow: UnitOfWork, cause: CloudEvent[OrderConfirmed]
) -> ReservationOutcome:
    """Answer an order whose product lines are all services here: a stock.reserved without
    lines, unless its cancellation came first (remembered as its demand)."""
    order_id = cause.data.order.order_id
    if await uow.reservations.lock_demand(order_id) is not None:
        return ReservationOutcome.ALREADY_HANDLED
    nothing = StockReserved(order_id=order_id, lines=[])
    await uow.record(
        cause.caused(EventType.STOCK_RESERVED, nothing, source=SOURCE, subject=order_id)
    )
    return ReservationOutcome.NOTHING_TO_RESERVE


async def release_order(
    uow: UnitOfWork, cause: CloudEvent[OrderCancelled] | CloudEvent[OrderClosedShort]
) -> dict[str, Decimal]:
    """Release what a cancelled (or closed short) order still holds, drop its backorder;
    returns what was released.

    Records stock.released when something was released, and offers the freed stock to the
    orders waiting for it. A cancellation that arrives before (or instead of) the confirmation
    is remembered, so a late confirmation reserves nothing. An order closed short waits for
    the answer to complete: it gets its stock.released even when nothing was left to release.
    """
    order_id, number, reason = cause.data.order_id, cause.data.number, cause.data.reason
    closing = isinstance(cause.data, OrderClosedShort)
    ended = "closed short" if closing else "cancelled"

    async def answer(released: dict[str, Decimal]) -> str | None:
        if not released and not closing:
            return None
        payload = StockReleased(order_id=order_id, lines=stock_lines(released))
        event = cause.caused(EventType.STOCK_RELEASED, payload, source=SOURCE, subject=order_id)
        await uow.record(event)
        return event.id

    async def attempt(extra: set[str]) -> dict[str, Decimal]:
        # Unlocked reads tell which levels to lock (in the warehouses the order is reserved
        # in); the locks are then taken in the global order, in one statement.
        held = await uow.reservations.lines(order_id)
        open_skus = {sku for sku, line in held.items() if line.open > 0}
        places = {held[sku].warehouse for sku in open_skus} or {MAIN_WAREHOUSE}
        locked = open_skus | extra | await uow.reservations.skus_waited_with(open_skus)
        levels = await uow.stock.lock_in((w, sku) for w in places for sku in locked)
        demand = await uow.reservations.lock_demand(order_id)
        if demand is None:
            remembered = await _claim(
                uow, cause, order_id=order_id, number=number, status=DemandStatus.CANCELLED
            )
            if not remembered:  # the confirmation committed meanwhile: start again
                raise MoreLocksNeeded()
            await answer({})
            return {}
        if demand.status is DemandStatus.CANCELLED:
            await answer({})
            return {}

        lines = await uow.reservations.lines(order_id, for_update=True)
        late = {
            sku
            for sku, line in lines.items()
            if line.open > 0 and (line.warehouse, sku) not in levels
        }
        if late:  # reserved after the unlocked read
            raise MoreLocksNeeded(late)
        text = f"order {number or order_id} {ended}" + (f": {reason}" if reason else "")
        released: dict[str, Decimal] = {}
        freed: dict[str, dict[str, Decimal]] = {}  # warehouse → SKU → released there
        moves: list[Move] = []
        for sku, line in lines.items():
            if line.open <= 0:
                continue
            level = levels[(line.warehouse, sku)]
            amount = line.release_open()
            level.release(amount)
            released[sku] = amount
            freed.setdefault(line.warehouse, {})[sku] = amount
            await record_level(uow, level)
            moves.append(
                (level, StockChange.of_order(MovementKind.RELEASE, order_id, -amount, text))
            )
        await uow.reservations.save_lines([lines[sku] for sku in released])
        await uow.stock.save_moved(moves)
        await uow.reservations.drop_backordered_lines(order_id)
        await uow.revisions.replace_waits(order_id, {})  # what revisions left waiting
        await uow.reservations.set_demand_status(order_id, DemandStatus.CANCELLED)
        event_id = await answer(released)
        if released and event_id is not None:
            for warehouse, skus in sorted(freed.items()):
                here = {sku: lv for (w, sku), lv in levels.items() if w == warehouse}
                await retry_backorders(
                    uow,
                    skus,
                    here,
                    locked,
                    causation_id=event_id,
                    actor=cause.actor,
                    warehouse=warehouse,
                )
        return released

    return await with_restarts(uow, attempt)


async def skus_to_lock_for_increase(uow: UnitOfWork, sku: str) -> set[str]:
    """`sku` and every SKU that the orders waiting for it need (read without locks)."""
    return {sku, *await uow.reservations.skus_waited_with([sku])}


async def retry_backorders(
    uow: UnitOfWork,
    skus: Collection[str],
    levels: dict[str, StockLevel],
    locked: Collection[str],
    *,
    causation_id: str,
    actor: str | None = None,
    warehouse: str = MAIN_WAREHOUSE,
) -> list[str]:
    """More of `skus` is available in `warehouse`: reserve for the orders waiting for them,
    oldest first, from that warehouse.

    Each waiting order is reserved whole or not at all, and gets its stock.reserved event; an
    order that named another warehouse keeps waiting for that one. `levels` are the levels of
    `warehouse` the caller locked (it asked for `locked`). A waiting order that needs a SKU
    outside `locked` raises MoreLocksNeeded: the caller starts again with it.
    Returns the ids of the orders reserved.
    """
    served = await _retry_backorders(uow, skus, levels, locked, causation_id, actor, warehouse)
    # Then what revisions of reserved orders wait for (of the SKUs the caller locked), for
    # the orders whose lines are in this warehouse.
    await serve_waits(
        uow, skus, levels, causation_id=causation_id, actor=actor, warehouse=warehouse
    )
    return served


# The waiting orders are read oldest first a page at a time, until the new stock is used up: a
# unit returned of a SKU that thousands of orders wait for reads the first of them, not all.
_BACKORDERS_PAGE = 500


async def _retry_backorders(
    uow: UnitOfWork,
    skus: Collection[str],
    levels: dict[str, StockLevel],
    locked: Collection[str],
    causation_id: str,
    actor: str | None,
    warehouse: str,
) -> list[str]:
    offered = [sku for sku in skus if sku in levels]
    served: list[ServedBackorder] = []
    demands: dict[str, OrderDemand] = {}
    after: int | None = None
    while any(levels[sku].available > 0 for sku in offered):
        page = await uow.reservations.backorders_involving(
            skus, after=after, limit=_BACKORDERS_PAGE
        )
        if not page:
            break
        after = page[-1].place
        candidates = [order for order in page if order.warehouse in (None, warehouse)]
        needed = {sku for order in candidates for sku in order.demand} - set(locked)
        if needed:  # an order was backordered after the caller's unlocked read
            raise MoreLocksNeeded(needed)
        chosen, their_demands = await _serve_page(uow, candidates, levels)
        served += chosen
        demands |= their_demands
    if not served:
        return []
    # However many orders waited, a few statements: a receipt after a long stock-out serves
    # tens of thousands in one transaction, the SKU's stock row locked all along.
    moves: list[Move] = []
    events = []
    for backorder in served:
        order, demand = backorder.order, demands[backorder.order.order_id]
        reason = f"backordered order {demand.number or order.order_id} reserved"
        moves += _reservation_moves(order.order_id, order.demand, backorder.left, reason)
        payload = StockReserved(order_id=order.order_id, lines=stock_lines(order.demand))
        events.append(
            new_event(
                EventType.STOCK_RESERVED,
                payload,
                source=SOURCE,
                subject=order.order_id,
                correlation_id=demand.correlation_id,
                causation_id=causation_id,
                actor=actor,
            )
        )
    await uow.stock.save_moved(moves)
    for sku in sorted({sku for backorder in served for sku in backorder.left}):
        await record_level(uow, levels[sku])
    order_ids = [backorder.order.order_id for backorder in served]
    await uow.reservations.mark_backorders_reserved(order_ids, warehouse)
    await uow.record_all(events)
    return order_ids


async def _serve_page(
    uow: UnitOfWork, candidates: Sequence[Backorder], levels: dict[str, StockLevel]
) -> tuple[list[ServedBackorder], dict[str, OrderDemand]]:
    """Reserve in `levels` for the candidates that fit, oldest first, and lock the demands of
    those alone. One cancelled or served since the unlocked read is left out, and the others
    are reserved again without it (a younger order may then fit in its place)."""
    while True:
        before = {sku: (level.on_hand, level.reserved) for sku, level in levels.items()}
        chosen = fulfil_backorders(candidates, levels)
        ids = [served.order.order_id for served in chosen]
        demands = await uow.reservations.lock_backordered_demands(ids)
        if len(demands) == len(chosen):
            return chosen, demands
        for sku, (on_hand, reserved) in before.items():  # the caller holds these objects
            levels[sku].on_hand, levels[sku].reserved = on_hand, reserved
        gone = set(ids) - demands.keys()
        candidates = [order for order in candidates if order.order_id not in gone]


async def list_lines(
    uow: UnitOfWork,
    where: ReservationFilter,
    *,
    limit: int,
    after: tuple[str, str] | None = None,
) -> Page[ReservationRecord]:
    """Reservation lines (backordered ones included) in (order id, SKU) order."""
    return await uow.reservations.page(where, limit=limit, after=after)
