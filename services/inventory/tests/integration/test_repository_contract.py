"""One contract for the repositories: every case runs on the in-memory fake of the unit tests
and on the SQL adapters against a migrated PostgreSQL database, so the fake cannot drift.

Each SQL case runs in a transaction that is rolled back at its end.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum import ean

from contracts import EventType, new_event
from contracts.common import StockLine
from contracts.events import ShipmentDispatched, StockReleased, StockReserved
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    Backorder,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    ReservationLine,
    StockLevel,
)
from inventory.domain.purchasing import ReorderPoint
from inventory.domain.records import (
    Carriage,
    NewShipment,
    OrderDemand,
    ReservationFilter,
    StockChange,
    StockFilter,
)
from inventory.domain.revisions import Wait
from inventory.domain.warehouses import Warehouse
from inventory.entrypoints.cli import MIGRATIONS_DIR
from inventory.service_layer.ports import UnitOfWork
from servicekit.testing import contract_sessions_fixture, fake_or_sql_fixture, statements_sent

D = Decimal


contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "inventory_contract")
uow = fake_or_sql_fixture(SqlUnitOfWork)


def code(label: str = "P") -> str:
    return f"{label}-{uuid.uuid4().hex[:8].upper()}"


async def stocked(uow: UnitOfWork, sku: str, on_hand: str = "0", reserved: str = "0") -> None:
    await uow.products.add(sku=sku, name=sku, kind=ItemKind.PRODUCT, description=None)
    await uow.stock.ensure(sku)
    await uow.stock.save(StockLevel(sku=sku, on_hand=D(on_hand), reserved=D(reserved)))


async def claim(uow: UnitOfWork, order_id: str, status: DemandStatus, number: str = "") -> bool:
    demand = OrderDemand(order_id, number or None, status, correlation_id=f"flow-{order_id}")
    return await uow.reservations.claim_demand(demand, causation_id=None)


# --- products -----------------------------------------------------------------------------------


async def test_a_product_is_added_once_then_updated(uow: UnitOfWork) -> None:
    sku = code()
    added = await uow.products.add(sku=sku, name="Cable", kind=ItemKind.PRODUCT, description=None)
    assert added is not None
    assert (added.sku, added.name, added.kind, added.description) == (
        sku,
        "Cable",
        ItemKind.PRODUCT,
        None,
    )
    again = await uow.products.add(sku=sku, name="Other", kind=ItemKind.SERVICE, description="x")
    assert again is None
    assert await uow.products.get(sku) == added  # the second add changed nothing
    assert await uow.products.get(code("NONE")) is None

    updated = await uow.products.update(
        sku=sku, name="Cable 2m", kind=ItemKind.SERVICE, description="Black"
    )
    assert (updated.name, updated.kind, updated.description) == (
        "Cable 2m",
        ItemKind.SERVICE,
        "Black",
    )
    assert updated.created_at == added.created_at
    assert await uow.products.get(sku, for_update=True) == updated


async def test_product_kinds_name_only_known_skus(uow: UnitOfWork) -> None:
    stocked_sku, service = code("STOCK"), code("SRV")
    await uow.products.add(sku=stocked_sku, name="a", kind=ItemKind.PRODUCT, description=None)
    await uow.products.add(sku=service, name="b", kind=ItemKind.SERVICE, description=None)
    kinds = await uow.products.kinds({stocked_sku, service, code("GHOST")})
    assert kinds == {stocked_sku: ItemKind.PRODUCT, service: ItemKind.SERVICE}
    assert await uow.products.kinds(set()) == {}


async def test_kinds_read_again_follow_a_change_of_kind(uow: UnitOfWork) -> None:
    sku = code()
    await uow.products.add(sku=sku, name="Setup", kind=ItemKind.PRODUCT, description=None)
    assert await uow.products.kinds([sku]) == {sku: ItemKind.PRODUCT}
    await uow.products.update(sku=sku, name="Setup", kind=ItemKind.SERVICE, description=None)
    assert await uow.products.kinds([sku]) == {sku: ItemKind.SERVICE}
    later = code("LATER")  # added after the first read: known to the next one
    await uow.products.add(sku=later, name="Later", kind=ItemKind.PRODUCT, description=None)
    assert await uow.products.kinds([sku, later]) == {
        sku: ItemKind.SERVICE,
        later: ItemKind.PRODUCT,
    }


async def test_the_warehouse_list_read_again_follows_its_changes(uow: UnitOfWork) -> None:
    before = await uow.warehouses.all()
    added = code("WH")
    assert await uow.warehouses.add(Warehouse(added, "North", priority=5)) is not None
    after_add = await uow.warehouses.all()
    assert [w.code for w in after_add] == sorted([w.code for w in before] + [added])
    north = next(w for w in after_add if w.code == added)
    north.name = "changed only in memory"  # each read builds its own warehouses
    assert next(w for w in await uow.warehouses.all() if w.code == added).name == "North"
    await uow.warehouses.save(Warehouse(added, "North hall", priority=5, active=False))
    saved = next(w for w in await uow.warehouses.all() if w.code == added)
    assert (saved.name, saved.active) == ("North hall", False)


async def test_products_page_in_sku_order_with_filters(uow: UnitOfWork) -> None:
    prefix = f"T{uuid.uuid4().hex[:6].upper()}"
    for suffix, kind, description in [
        ("C", ItemKind.PRODUCT, None),
        ("A", ItemKind.PRODUCT, "50% off_now"),
        ("B", ItemKind.SERVICE, None),
    ]:
        await uow.products.add(
            sku=f"{prefix}-{suffix}", name=f"Item {suffix}", kind=kind, description=description
        )

    first, more = await uow.products.page(limit=2, after_sku=None, kind=None, text=prefix.lower())
    assert [p.sku for p in first] == [f"{prefix}-A", f"{prefix}-B"]
    assert more
    rest, more = await uow.products.page(limit=2, after_sku=first[-1].sku, kind=None, text=prefix)
    assert ([p.sku for p in rest], more) == ([f"{prefix}-C"], False)

    services, _ = await uow.products.page(
        limit=10, after_sku=None, kind=ItemKind.SERVICE, text=prefix
    )
    assert [p.sku for p in services] == [f"{prefix}-B"]
    literal, _ = await uow.products.page(limit=10, after_sku=None, kind=None, text="50% off_")
    assert f"{prefix}-A" in [p.sku for p in literal]
    wildcard, _ = await uow.products.page(limit=10, after_sku=None, kind=None, text="5_%")
    assert f"{prefix}-A" not in [p.sku for p in wildcard]  # % and _ are no wildcards


async def test_catalogue_details_are_kept_and_searched(uow: UnitOfWork) -> None:
    sku, barcode = code("EAN"), f"40{uuid.uuid4().int % 10**10:010d}"
    barcode += str(ean.calc_check_digit(barcode))
    details = CatalogueDetails(
        list_prices={"EUR": Decimal("12.50"), "JPY": Decimal("1800.00")},
        unit_of_measure="kg",
        tax_category="reduced",
        active=False,
        barcode=barcode,
    )
    added = await uow.products.add(
        sku=sku, name="Flour", kind=ItemKind.PRODUCT, description=None, details=details
    )
    assert added is not None
    assert added.details == details
    assert (await uow.products.get(sku)) == added
    by_barcode, _ = await uow.products.page(limit=10, after_sku=None, kind=None, text=barcode)
    assert [p.sku for p in by_barcode] == [sku]
    inactive, _ = await uow.products.page(
        limit=10, after_sku=None, kind=None, text=sku, active=False
    )
    active, _ = await uow.products.page(limit=10, after_sku=None, kind=None, text=sku, active=True)
    assert ([p.sku for p in inactive], active) == ([sku], [])

    plain = await uow.products.update(
        sku=sku, name="Flour", kind=ItemKind.PRODUCT, description=None
    )
    assert plain.details == CatalogueDetails()  # a replacement without details resets them


# --- stock levels and the ledger ----------------------------------------------------------------


async def test_the_stock_overview_lists_levels_by_sku_with_filters(uow: UnitOfWork) -> None:
    prefix = f"OV{uuid.uuid4().hex[:6].upper()}"
    for suffix, on_hand, reserved in (("A", "10", "8"), ("B", "5", "0"), ("C", "1", "1")):
        sku = f"{prefix}-{suffix}"
        await uow.products.add(
            sku=sku, name=f"Part {suffix}", kind=ItemKind.PRODUCT, description=None
        )
        await uow.stock.ensure(sku)
        await uow.stock.save(StockLevel(sku, Decimal(on_hand), Decimal(reserved)))

    first, more = await uow.stock_overview.page(StockFilter(text=prefix), limit=2, after=None)
    assert [(r.sku, r.warehouse, r.available) for r in first] == [
        (f"{prefix}-A", "MAIN", Decimal(2)),
        (f"{prefix}-B", "MAIN", Decimal(5)),
    ]
    assert first[0].name == "Part A"
    assert more
    rest, more = await uow.stock_overview.page(
        StockFilter(text=prefix), limit=2, after=(first[-1].sku, first[-1].warehouse)
    )
    assert ([r.sku for r in rest], more) == ([f"{prefix}-C"], False)
    low, _ = await uow.stock_overview.page(
        StockFilter(text=prefix, available_below=Decimal(3), warehouse="MAIN"), limit=10, after=None
    )
    assert [r.sku for r in low] == [f"{prefix}-A", f"{prefix}-C"]
    for suffix in ("A", "B"):  # A has 2 available, B 5: only A is under its point
        await uow.reorder_points.set(ReorderPoint(f"{prefix}-{suffix}", Decimal(5), Decimal(10)))
    short, _ = await uow.stock_overview.page(
        StockFilter(text=prefix, low_stock=True), limit=10, after=None
    )
    assert [(r.sku, r.reorder_point) for r in short] == [(f"{prefix}-A", Decimal(5))]
    elsewhere, _ = await uow.stock_overview.page(
        StockFilter(text=prefix, warehouse="NOWHERE"), limit=10, after=None
    )
    assert elsewhere == []


async def test_a_level_starts_empty_and_is_saved(uow: UnitOfWork) -> None:
    sku = code()
    await uow.products.add(sku=sku, name=sku, kind=ItemKind.PRODUCT, description=None)
    assert await uow.stock.get(sku) is None
    await uow.stock.ensure(sku)
    assert await uow.stock.get(sku) == StockLevel(sku=sku, on_hand=D(0), reserved=D(0))
    await uow.stock.save(StockLevel(sku=sku, on_hand=D("7.5"), reserved=D(2)))
    await uow.stock.ensure(sku)  # a second time changes nothing
    assert await uow.stock.get(sku) == StockLevel(sku=sku, on_hand=D("7.5"), reserved=D(2))


async def test_lock_returns_the_existing_levels_in_sku_order(uow: UnitOfWork) -> None:
    b, a = code("B"), code("A")
    await stocked(uow, b, "3")
    await stocked(uow, a, "1", "1")
    locked = await uow.stock.lock([b, code("GHOST"), a, b])
    assert list(locked) == sorted([a, b])
    assert locked[a] == StockLevel(sku=a, on_hand=D(1), reserved=D(1))
    # One place (most orders) is a statement of its own.
    assert await uow.stock.lock([a, a]) == {a: StockLevel(sku=a, on_hand=D(1), reserved=D(1))}
    assert await uow.stock.lock([code("GHOST")]) == {}
    locked[b].on_hand = D(99)  # the levels are copies: changing one saves nothing
    assert (await uow.stock.get(b)) == StockLevel(sku=b, on_hand=D(3), reserved=D(0))
    assert await uow.stock.lock([]) == {}


async def test_the_ledger_keeps_each_change_with_the_level_it_left(uow: UnitOfWork) -> None:
    sku = code()
    await stocked(uow, sku, "10", "4")
    level = StockLevel(sku=sku, on_hand=D(10), reserved=D(4))
    await uow.stock.add_movement(
        level, StockChange(MovementKind.RECEIPT, D(10), D(0), "adj-1", reason="x" * 600)
    )
    await uow.stock.add_movement(
        level, StockChange.of_order(MovementKind.RESERVATION, "order-1", D(4), "order confirmed")
    )
    await uow.stock.add_movement(level, StockChange(MovementKind.SHIPMENT, D(-1), D(-1), "s-1"))
    everything, more = await uow.stock.movements(sku, limit=10, after_id=None)
    assert not more
    assert [(m.kind, m.quantity_change, m.on_hand, m.reserved) for m in everything] == [
        (MovementKind.RECEIPT, D(10), D(10), D(4)),
        (MovementKind.RESERVATION, D(4), D(10), D(4)),  # about reserved: the reserved change
        (MovementKind.SHIPMENT, D(-1), D(10), D(4)),
    ]
    assert everything[0].reason == "x" * 500
    assert (everything[1].reference, everything[1].order_id) == ("order-1", "order-1")
    assert everything[2].reason is None
    assert everything[0].id < everything[1].id < everything[2].id
    page, more = await uow.stock.movements(sku, limit=1, after_id=everything[0].id)
    assert ([m.id for m in page], more) == ([everything[1].id], True)
    assert await uow.stock.movements(code("NONE"), limit=5, after_id=None) == ([], False)


async def test_a_level_moved_several_times_keeps_each_balance_in_its_row(uow: UnitOfWork) -> None:
    sku = code()
    await stocked(uow, sku, "10")
    after_first = StockLevel(sku=sku, on_hand=D(10), reserved=D(2))
    after_second = StockLevel(sku=sku, on_hand=D(10), reserved=D(5))
    await uow.stock.save_moved(
        [
            (after_first, StockChange.of_order(MovementKind.RESERVATION, "SO-1", D(2), "first")),
            (after_second, StockChange.of_order(MovementKind.RESERVATION, "SO-2", D(3), "second")),
        ]
    )
    ledger, _more = await uow.stock.movements(sku, limit=10, after_id=None)
    assert [(m.order_id, m.reserved_change, m.reserved) for m in ledger[-2:]] == [
        ("SO-1", D(2), D(2)),
        ("SO-2", D(3), D(5)),
    ]
    saved = await uow.stock.get(sku)
    assert saved is not None
    assert saved.reserved == D(5)
    again = StockChange.of_order(MovementKind.RESERVATION, "SO-3", D(1), "third")
    with pytest.raises(ValueError, match="copy"):  # one object: every row would say 5
        await uow.stock.save_moved([(after_second, again), (after_second, again)])


async def test_levels_are_saved_with_their_movements_together(uow: UnitOfWork) -> None:
    a, b = code("A"), code("B")
    await stocked(uow, a, "5")
    await stocked(uow, b, "3", "1")
    reserving = StockLevel(sku=a, on_hand=D(5), reserved=D(2))
    shipping = StockLevel(sku=b, on_hand=D(2), reserved=D(0))
    await uow.stock.save_moved(
        [
            (reserving, StockChange.of_order(MovementKind.RESERVATION, "SO-A", D(2), "confirmed")),
            (shipping, StockChange(MovementKind.SHIPMENT, D(-1), D(-1), "s-1", "shipped", "SO-B")),
        ]
    )
    assert await uow.stock.get(a) == reserving
    assert await uow.stock.get(b) == shipping
    (of_a,), _ = await uow.stock.movements(a, limit=5, after_id=None)
    (of_b,), _ = await uow.stock.movements(b, limit=5, after_id=None)
    assert (of_a.kind, of_a.reserved_change, of_a.reserved, of_a.order_id) == (
        MovementKind.RESERVATION,
        D(2),
        D(2),
        "SO-A",
    )
    assert (of_b.kind, of_b.on_hand_change, of_b.on_hand, of_b.reason, of_b.reference) == (
        MovementKind.SHIPMENT,
        D(-1),
        D(2),
        "shipped",
        "s-1",
    )
    await uow.stock.save_moved([])  # nothing to save: nothing sent
    twice = StockChange(MovementKind.RECEIPT, D(1), D(1), "adj-1")
    with pytest.raises(ValueError, match="twice"):
        await uow.stock.save_moved([(reserving, twice), (reserving, twice)])


async def test_a_level_is_read_with_its_reorder_point_which_tells_when_it_drops_below(
    uow: UnitOfWork,
) -> None:
    sku = code()
    await stocked(uow, sku, "10", "2")
    assert await uow.stock.get_with_point(code("NONE")) is None
    level = StockLevel(sku=sku, on_hand=D(10), reserved=D(2))
    assert await uow.stock.get_with_point(sku) == (level, None)
    assert not await uow.stock.dropped_below_reorder_point(level, None)

    await uow.reorder_points.set(ReorderPoint(sku, D(5), D(20)))
    read = await uow.stock.get_with_point(sku)
    assert read is not None
    assert read[0] == level
    assert read[1] is not None
    assert (read[1].reorder_point, read[1].reorder_quantity) == (D(5), D(20))
    await uow.reorder_points.set(ReorderPoint(sku, D(9), D(30), warehouse=MAIN_WAREHOUSE))
    own = await uow.stock.get_with_point(sku)
    assert own is not None
    assert own[1] is not None
    assert (own[1].reorder_point, own[1].reorder_quantity) == (D(9), D(30))  # the warehouse's

    point = own[1]
    low = StockLevel(sku=sku, on_hand=D(10), reserved=D(2))  # 8 available, below 9
    assert await uow.stock.dropped_below_reorder_point(low, point)
    assert not await uow.stock.dropped_below_reorder_point(low, point)  # below already
    back = StockLevel(sku=sku, on_hand=D(20), reserved=D(2))
    assert not await uow.stock.dropped_below_reorder_point(back, point)
    assert await uow.stock.dropped_below_reorder_point(low, point)  # below again


# --- order demands and reservation lines --------------------------------------------------------


async def test_a_demand_is_claimed_once_and_changes_status(uow: UnitOfWork) -> None:
    order = code("SO")
    assert await uow.reservations.lock_demand(order) is None
    assert await claim(uow, order, DemandStatus.RESERVED, number="SO-1")
    assert not await claim(uow, order, DemandStatus.CANCELLED)
    demand = await uow.reservations.lock_demand(order)
    assert demand is not None
    assert (demand.number, demand.status, demand.correlation_id) == (
        "SO-1",
        DemandStatus.RESERVED,
        f"flow-{order}",
    )
    await uow.reservations.set_demand_status(order, DemandStatus.CANCELLED)
    cancelled = await uow.reservations.lock_demand(order)
    assert cancelled is not None
    assert cancelled.status is DemandStatus.CANCELLED


async def recorded_ids(uow: UnitOfWork) -> set[str]:
    """The ids of the events recorded so far in this case (the outbox, on SQL)."""
    if isinstance(uow, SqlUnitOfWork):
        return set((await uow.session.execute(select(uow.outbox.c.event_id))).scalars())
    fake: Any = uow
    return {event.id for event in fake.events}


async def test_a_reservation_is_written_only_by_the_claim_of_its_demand(uow: UnitOfWork) -> None:
    sku, order = code(), code("SO")
    await stocked(uow, sku, "10")
    reserved = StockLevel(sku=sku, on_hand=D(10), reserved=D(4))
    change = StockChange.of_order(MovementKind.RESERVATION, order, D(4), "confirmed")
    event = new_event(
        EventType.STOCK_RESERVED,
        StockReserved(order_id=order, lines=[StockLine(sku=sku, quantity=D(4))]),
        source="/inventory",
        subject=order,
    )
    demand = OrderDemand(order, "SO-7", DemandStatus.RESERVED, correlation_id=f"flow-{order}")

    async def reserve(level: StockLevel, announced: Any) -> bool:
        return await uow.claim_reserved(
            demand,
            causation_id="cause-1",
            moves=[(level, change)],
            lines={sku: D(4)},
            warehouses={sku: MAIN_WAREHOUSE},
            event=announced,
        )

    assert await reserve(reserved, event)
    claimed = await uow.reservations.lock_demand(order)
    assert claimed is not None
    assert (claimed.number, claimed.status, claimed.correlation_id) == (
        "SO-7",
        DemandStatus.RESERVED,
        f"flow-{order}",
    )
    assert await uow.stock.get(sku) == reserved
    assert [m.reserved for m in (await uow.stock.movements(sku, limit=5, after_id=None))[0]] == [
        D(4)
    ]
    line = (await uow.reservations.lines(order))[sku]
    assert (line.quantity, line.status, line.warehouse) == (D(4), LineStatus.RESERVED, "MAIN")
    assert event.id in await recorded_ids(uow)

    # The same order again (a redelivery, or a second confirmation): nothing is written.
    again = event.model_copy(update={"id": f"{event.id}-again"})
    more = StockLevel(sku=sku, on_hand=D(10), reserved=D(8))
    assert not await reserve(more, again)
    assert await uow.stock.get(sku) == reserved
    assert len((await uow.stock.movements(sku, limit=5, after_id=None))[0]) == 1
    assert (await uow.reservations.lines(order))[sku].quantity == D(4)
    assert again.id not in await recorded_ids(uow)


async def test_lines_are_added_saved_and_backordered_ones_dropped(uow: UnitOfWork) -> None:
    order, other = code("SO"), code("SO")
    await claim(uow, order, DemandStatus.RESERVED)
    await claim(uow, other, DemandStatus.BACKORDERED)
    await uow.reservations.add_lines(order, {"B": D(3), "A": D("1.5")}, LineStatus.RESERVED)
    await uow.reservations.add_lines(other, {"A": D(2)}, LineStatus.BACKORDERED)

    lines = await uow.reservations.lines(order, for_update=True)
    assert list(lines) == ["A", "B"]
    assert lines["A"] == ReservationLine(order_id=order, sku="A", quantity=D("1.5"))
    waiting = await uow.reservations.lines(other)
    assert waiting["A"].backordered
    assert waiting["A"].open == 0

    lines["B"].ship(D(1))
    lines["A"].release_open()
    await uow.reservations.save_lines([lines["B"], lines["A"]])
    await uow.reservations.save_lines([])  # nothing to save: nothing sent
    saved = await uow.reservations.lines(order)
    assert (saved["B"].shipped, saved["B"].status) == (D(1), LineStatus.PARTIALLY_SHIPPED)
    assert (saved["A"].released, saved["A"].status) == (D("1.5"), LineStatus.RELEASED)

    await uow.reservations.drop_backordered_lines(order)  # has none: nothing changes
    assert len(await uow.reservations.lines(order)) == 2
    await uow.reservations.drop_backordered_lines(other)
    assert await uow.reservations.lines(other) == {}
    assert await uow.reservations.lines(code("NONE")) == {}


async def test_backorders_come_oldest_first_with_their_whole_demand(uow: UnitOfWork) -> None:
    scarce, plenty = code("SCARCE"), code("PLENTY")
    first, second, reserved, elsewhere = (code("SO") for _ in range(4))
    for order in (first, second, elsewhere):
        await claim(uow, order, DemandStatus.BACKORDERED)
    await claim(uow, reserved, DemandStatus.RESERVED)
    await uow.reservations.add_lines(first, {scarce: D(5), plenty: D(1)}, LineStatus.BACKORDERED)
    await uow.reservations.add_lines(second, {scarce: D(2)}, LineStatus.BACKORDERED)
    await uow.reservations.add_lines(reserved, {scarce: D(1)}, LineStatus.RESERVED)
    await uow.reservations.add_lines(elsewhere, {code("OTHER"): D(1)}, LineStatus.BACKORDERED)

    queue = await uow.reservations.backorders_involving([scarce])
    assert [replace(order, place=0) for order in queue] == [
        Backorder(order_id=first, demand={plenty: D(1), scarce: D(5)}),
        Backorder(order_id=second, demand={scarce: D(2)}),
    ]
    assert queue[0].place < queue[1].place
    assert [b.order_id for b in await uow.reservations.backorders_involving([plenty])] == [first]
    assert await uow.reservations.backorders_involving([]) == []
    # A page at a time, after a place in the queue.
    [oldest] = await uow.reservations.backorders_involving([scarce], limit=1)
    assert oldest.order_id == first
    rest = await uow.reservations.backorders_involving([scarce], after=oldest.place, limit=5)
    assert [order.order_id for order in rest] == [second]
    assert await uow.reservations.backorders_involving([scarce], after=rest[0].place) == []
    # What the orders waiting for a SKU need, without reading them.
    assert await uow.reservations.skus_waited_with([plenty]) == {plenty, scarce}
    assert await uow.reservations.skus_waited_with([scarce, code("NONE")]) == {plenty, scarce}
    assert await uow.reservations.skus_waited_with([code("NONE")]) == set()
    assert await uow.reservations.skus_waited_with([]) == set()

    await uow.reservations.set_demand_status(second, DemandStatus.RESERVED)
    locked = await uow.reservations.lock_backordered_demands([second, first, reserved])
    assert list(locked) == [first]  # still backordered, re-checked under the lock
    assert locked[first].correlation_id == f"flow-{first}"
    assert await uow.reservations.lock_backordered_demands([]) == {}


async def test_backorders_are_marked_reserved_together(uow: UnitOfWork) -> None:
    scarce, other = code("SCARCE"), code("OTHER")
    first, second, untouched, reserved = (code("SO") for _ in range(4))
    for order in (first, second, untouched):
        await claim(uow, order, DemandStatus.BACKORDERED)
        await uow.reservations.add_lines(order, {scarce: D(2), other: D(1)}, LineStatus.BACKORDERED)
    await claim(uow, reserved, DemandStatus.RESERVED)
    await uow.reservations.add_lines(reserved, {scarce: D(1)}, LineStatus.RESERVED)

    await uow.reservations.mark_backorders_reserved([first, second], "EAST")
    await uow.reservations.mark_backorders_reserved([], "EAST")  # nothing: nothing sent

    for order in (first, second):
        lines = await uow.reservations.lines(order)
        assert {
            sku: (line.quantity, line.warehouse, line.status) for sku, line in lines.items()
        } == {
            scarce: (D(2), "EAST", LineStatus.RESERVED),
            other: (D(1), "EAST", LineStatus.RESERVED),
        }
        demand = await uow.reservations.lock_demand(order)
        assert demand is not None
        assert demand.status is DemandStatus.RESERVED
    assert [order.order_id for order in await uow.reservations.backorders_involving([scarce])] == [
        untouched
    ]
    kept = await uow.reservations.lines(reserved)
    assert (kept[scarce].warehouse, kept[scarce].status) == (MAIN_WAREHOUSE, LineStatus.RESERVED)


async def test_a_long_stock_outs_backorders_are_locked_in_one_statement(uow: UnitOfWork) -> None:
    # More orders than a statement can take parameters (32,767): a receipt after a long
    # stock-out locks the demands of every order waiting for the SKU.
    waiting = [code("SO") for _ in range(2)]
    for order in waiting:
        await claim(uow, order, DemandStatus.BACKORDERED)
    never_claimed = [code("SO") for _ in range(40_000)]

    locked = await uow.reservations.lock_backordered_demands([*never_claimed, *waiting])

    assert sorted(locked) == sorted(waiting)


async def test_revision_waits_queue_oldest_first_for_reserved_orders(uow: UnitOfWork) -> None:
    first, second, waiting = (str(uuid.uuid4()) for _ in range(3))
    bolt, nut = code("BOLT"), code("NUT")
    await stocked(uow, bolt)
    await stocked(uow, nut)
    await claim(uow, first, DemandStatus.RESERVED)
    await claim(uow, second, DemandStatus.RESERVED)
    await claim(uow, waiting, DemandStatus.BACKORDERED)
    assert await uow.revisions.applied_revision(first) == 0
    await uow.revisions.set_applied_revision(first, 2)
    assert await uow.revisions.applied_revision(first) == 2

    await uow.revisions.replace_waits(first, {bolt: D("2"), nut: D("1")})
    await uow.revisions.replace_waits(second, {bolt: D("5")})
    await uow.revisions.replace_waits(waiting, {bolt: D("7")})  # not a reserved order's
    await uow.revisions.replace_waits(first, {bolt: D("3")})  # keeps its place, nut goes
    assert await uow.revisions.waits(first, for_update=True) == {bolt: D("3")}
    assert await uow.revisions.waiting_for([bolt, nut]) == [
        Wait(first, bolt, D("3")),
        Wait(second, bolt, D("5")),
    ]
    await uow.revisions.drop_wait(Wait(first, bolt, D("3")))
    assert await uow.revisions.waits(first) == {}

    await uow.revisions.put_line(ReservationLine(order_id=first, sku=bolt, quantity=D("4")))
    await uow.revisions.put_line(
        ReservationLine(order_id=first, sku=bolt, quantity=D("6"), shipped=D("1"))
    )
    line = (await uow.reservations.lines(first))[bolt]
    assert (line.quantity, line.shipped, line.status) == (
        D("6"),
        D("1"),
        LineStatus.PARTIALLY_SHIPPED,
    )


async def test_reservation_lines_page_in_order_and_sku_order(uow: UnitOfWork) -> None:
    order_a, order_b = sorted(code("SO") for _ in range(2))
    await claim(uow, order_a, DemandStatus.RESERVED)
    await claim(uow, order_b, DemandStatus.BACKORDERED)
    await uow.reservations.add_lines(order_a, {"Y": D(1), "X": D(2)}, LineStatus.RESERVED)
    await uow.reservations.add_lines(order_b, {"X": D(3)}, LineStatus.BACKORDERED)

    ours = {order_a, order_b}
    everything, _ = await uow.reservations.page(ReservationFilter(), limit=500, after=None)
    assert [(r.order_id, r.sku) for r in everything if r.order_id in ours] == [
        (order_a, "X"),
        (order_a, "Y"),
        (order_b, "X"),
    ]
    first, more = await uow.reservations.page(
        ReservationFilter(order_id=order_a), limit=1, after=None
    )
    assert ([(r.sku, r.quantity, r.status) for r in first], more) == (
        [("X", D(2), LineStatus.RESERVED)],
        True,
    )
    rest, more = await uow.reservations.page(
        ReservationFilter(order_id=order_a), limit=5, after=(order_a, "X")
    )
    assert ([r.sku for r in rest], more) == (["Y"], False)
    waiting, _ = await uow.reservations.page(
        ReservationFilter(sku="X", status=LineStatus.BACKORDERED), limit=5, after=(order_a, "Y")
    )
    assert [(r.order_id, r.warehouse) for r in waiting] == [(order_b, "MAIN")]


# --- shipments and adjustments ------------------------------------------------------------------


async def test_shipments_are_stored_with_their_lines_and_paged(uow: UnitOfWork) -> None:
    order, other = code("SO"), code("SO")
    await claim(uow, order, DemandStatus.RESERVED)
    await claim(uow, other, DemandStatus.RESERVED)
    ids = sorted(str(uuid.uuid4()) for _ in range(3))
    created = await uow.shipments.add(NewShipment(ids[1], order, {"B": D(1), "A": D(2)}, False))
    assert isinstance(created, datetime)
    await uow.shipments.add(NewShipment(ids[0], order, {"A": D(1)}, True))
    await uow.shipments.add(NewShipment(ids[2], other, {"C": D(1)}, True))

    shipment = await uow.shipments.get(ids[1])
    assert shipment is not None
    assert (shipment.order_id, list(shipment.lines.items()), shipment.fully_shipped) == (
        order,
        [("A", D(2)), ("B", D(1))],
        False,
    )
    assert shipment.created_at == created
    assert await uow.shipments.get(str(uuid.uuid4())) is None

    first, more = await uow.shipments.page(limit=1, order_id=order, after=None)
    assert ([s.id for s in first], more) == ([ids[0]], True)  # one transaction: by id
    rest, more = await uow.shipments.page(
        limit=5, order_id=order, after=(first[0].created_at, first[0].id)
    )
    assert ([s.id for s in rest], more) == ([ids[1]], False)


async def ship_one(uow: UnitOfWork, sku: str, order: str, shipment_id: str) -> Any:
    """Ship 1 of `sku` for `order` (reserved 2 of its 10): the shipment.dispatched recorded."""
    (line,) = (await uow.reservations.lines(order, for_update=True)).values()
    line.ship(D(1))
    level = StockLevel(sku=sku, on_hand=D(9), reserved=D(1))
    event = new_event(
        EventType.SHIPMENT_DISPATCHED,
        ShipmentDispatched(
            order_id=order,
            shipment_id=shipment_id,
            lines=[StockLine(sku=sku, quantity=D(1))],
            fully_shipped=False,
        ),
        source="/inventory",
        subject=order,
    )
    carriage = Carriage(carrier="DHL", tracking_number="T-1")
    await uow.ship(
        NewShipment(shipment_id, order, {sku: D(1)}, False, carriage, MAIN_WAREHOUSE),
        saved_lines=[line],
        moves=[(level, StockChange(MovementKind.SHIPMENT, D(-1), D(-1), shipment_id))],
        event=event,
    )
    return event


async def test_a_shipment_is_written_with_its_lines_levels_and_event(uow: UnitOfWork) -> None:
    sku, order, shipment_id = code(), code("SO"), str(uuid.uuid4())
    await stocked(uow, sku, "10", "2")
    await claim(uow, order, DemandStatus.RESERVED)
    await uow.reservations.add_lines(order, {sku: D(2)}, LineStatus.RESERVED)
    event = await ship_one(uow, sku, order, shipment_id)

    shipment = await uow.shipments.get(shipment_id)
    assert shipment is not None
    assert (shipment.order_id, shipment.lines, shipment.carrier, shipment.warehouse) == (
        order,
        {sku: D(1)},
        "DHL",
        MAIN_WAREHOUSE,
    )
    line = (await uow.reservations.lines(order))[sku]
    assert (line.shipped, line.status) == (D(1), LineStatus.PARTIALLY_SHIPPED)
    assert await uow.stock.get(sku) == StockLevel(sku=sku, on_hand=D(9), reserved=D(1))
    (moved,), _ = await uow.stock.movements(sku, limit=5, after_id=None)
    assert (moved.kind, moved.reference, moved.on_hand) == (
        MovementKind.SHIPMENT,
        shipment_id,
        D(9),
    )
    assert event.id in await recorded_ids(uow)


async def test_an_adjustment_is_stored_at_the_time_of_its_transaction(uow: UnitOfWork) -> None:
    sku = code()
    await stocked(uow, sku, "5")
    product = await uow.products.get(sku)
    receipt = StockChange(MovementKind.RECEIPT, D(5), D(0), str(uuid.uuid4()), "delivery")
    level = StockLevel(sku=sku, on_hand=D(5), reserved=D(0))
    created = await uow.adjustments.add(level, receipt, quantity=D(5))
    assert product is not None
    assert created == product.created_at


# --- the savepoint ------------------------------------------------------------------------------


class Undo(Exception):
    pass


async def test_a_failed_savepoint_undoes_only_what_it_did(uow: UnitOfWork) -> None:
    kept, undone, order = code("KEPT"), code("UNDONE"), code("SO")
    await stocked(uow, kept, "1")

    async def change_then_fail() -> None:
        async with uow.savepoint():
            await stocked(uow, undone, "5")
            await uow.stock.save(StockLevel(sku=kept, on_hand=D(9), reserved=D(0)))
            await claim(uow, order, DemandStatus.RESERVED)
            await uow.reservations.add_lines(order, {kept: D(1)}, LineStatus.RESERVED)
            released = StockReleased(order_id=order, lines=[])
            await uow.record(
                new_event(EventType.STOCK_RELEASED, released, source="/inventory", subject=order)
            )
            raise Undo

    with pytest.raises(Undo):
        await change_then_fail()
    assert await uow.products.get(undone) is None
    assert await uow.stock.get(kept) == StockLevel(sku=kept, on_hand=D(1), reserved=D(0))
    assert await uow.reservations.lock_demand(order) is None
    assert await uow.reservations.lines(order) == {}

    async with uow.savepoint():
        await claim(uow, order, DemandStatus.BACKORDERED)
    assert await uow.reservations.lock_demand(order) is not None  # a savepoint that ends keeps


async def test_a_unit_of_work_reads_kinds_and_warehouses_once(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A batch of confirmations asks for the same SKUs' kinds and the warehouses order after
    order, each through a unit of work of its own on the batch's session: the SQL adapters read
    them once per transaction (until one is written)."""
    async with contract_sessions() as session:
        await session.begin()
        try:
            uow = SqlUnitOfWork(session)
            sku = code()
            await uow.products.add(sku=sku, name="Cable", kind=ItemKind.PRODUCT, description=None)
            with statements_sent(session.get_bind()) as statements:
                for _ in range(3):
                    per_event = SqlUnitOfWork(session)
                    assert await per_event.products.kinds([sku]) == {sku: ItemKind.PRODUCT}
                    assert await per_event.warehouses.all()
            assert len(statements) == 2, statements  # the kinds once, the warehouses once
        finally:
            await session.rollback()


async def test_a_reservation_and_a_shipment_are_one_statement_each(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The claim, the level, its movement, the line and the numbered event go in one round trip;
    so do a shipment, its lines, the line it ships from, the level, its movement and its event.
    A second claim of the order writes nothing, so the order's next event takes the next number
    (no gap)."""
    async with contract_sessions() as session:
        await session.begin()
        try:
            uow = SqlUnitOfWork(session)
            sku, order = code(), code("SO")
            await stocked(uow, sku, "10")
            demand = OrderDemand(order, None, DemandStatus.RESERVED, correlation_id="flow")

            def reserved_event() -> Any:
                payload = StockReserved(order_id=order, lines=[StockLine(sku=sku, quantity=D(1))])
                return new_event(
                    EventType.STOCK_RESERVED, payload, source="/inventory", subject=order
                )

            async def reserve(reserved: str) -> bool:
                level = StockLevel(sku=sku, on_hand=D(10), reserved=D(reserved))
                return await uow.claim_reserved(
                    demand,
                    causation_id=None,
                    moves=[
                        (level, StockChange.of_order(MovementKind.RESERVATION, order, D(1), ""))
                    ],
                    lines={sku: D(1)},
                    warehouses={sku: MAIN_WAREHOUSE},
                    event=reserved_event(),
                )

            with statements_sent(session.get_bind()) as statements:
                assert await reserve("1")
                await ship_one(uow, sku, order, str(uuid.uuid4()))
            assert len(statements) == 3, statements  # reserved; the lines locked, then shipped

            assert not await reserve("2")
            await uow.record(reserved_event())
            payloads = await session.execute(
                select(uow.outbox.c.payload)
                .where(uow.outbox.c.key == order)
                .order_by(uow.outbox.c.id)
            )
            numbers = [json.loads(payload)["sequence"] for payload in payloads.scalars()]
            assert numbers == [1, 2, 3]  # reserved, shipped, then the event after the refusal
        finally:
            await session.rollback()
