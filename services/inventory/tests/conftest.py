"""The in-memory unit of work of the inventory tests: fake repositories behind the same Protocols
as the SQL adapters.

The service-layer unit tests run on it; `integration/test_repository_contract.py` runs the same
cases against it and against PostgreSQL, so it cannot drift from the SQL adapters. It lives here
rather than in `unit/` so that both folders share the one fake (tests import no test modules).
"""

from __future__ import annotations

import copy
import itertools
import sys
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import CloudEvent
from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    Backorder,
    DemandStatus,
    ItemKind,
    LineStatus,
    ReservationLine,
    StockLevel,
)
from inventory.domain.purchasing import ReorderPoint
from inventory.domain.records import (
    Move,
    Movement,
    NewShipment,
    OrderDemand,
    Product,
    ReservationFilter,
    ReservationRecord,
    Shipment,
    StockChange,
    StockFilter,
    StockOverviewRow,
)
from inventory.domain.revisions import Wait
from inventory.domain.warehouses import Transfer, TransferStatus, Warehouse
from inventory.service_layer.ports import Page, UnitOfWork
from servicekit.unit_of_work import AtCommit

# Both test folders import `purchasing_fakes` from here (pytest does not put test folders on the
# import path).
sys.path.insert(0, str(Path(__file__).parent))

from purchasing_fakes import FakePurchaseOrders, FakeReorderPoints, FakeReturns, FakeVendors


class Clock:
    """PostgreSQL's now(): the same instant for everything one transaction writes."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)


def _page(items: list[Any], limit: int) -> Page[Any]:
    return items[:limit], len(items) > limit


NO_DETAILS = CatalogueDetails()


class FakeProducts:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[str, Product] = {}

    async def get(self, sku: str, *, for_update: bool = False) -> Product | None:
        return self.rows.get(sku)

    async def kinds(self, skus: Collection[str]) -> dict[str, ItemKind]:
        return {sku: self.rows[sku].kind for sku in sorted(skus) if sku in self.rows}

    async def add(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = NO_DETAILS,
    ) -> Product | None:
        if sku in self.rows:
            return None
        now = self.clock.now
        self.rows[sku] = Product(
            sku, name, kind, description, created_at=now, updated_at=now, details=details
        )
        return self.rows[sku]

    async def update(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = NO_DETAILS,
    ) -> Product:
        current = self.rows[sku]
        self.rows[sku] = replace(
            current,
            name=name,
            kind=kind,
            description=description,
            details=details,
            updated_at=self.clock.now,
        )
        return self.rows[sku]

    async def page(
        self,
        *,
        limit: int,
        after_sku: str | None,
        kind: ItemKind | None,
        text: str | None,
        active: bool | None = None,
    ) -> Page[Product]:
        def found(product: Product) -> bool:
            if not text:
                return True
            fields = (product.sku, product.name, product.description or "")
            return (
                any(text.lower() in field.lower() for field in fields)
                or product.details.barcode == text.strip()
            )

        return _page(
            [
                product
                for sku, product in sorted(self.rows.items())
                if (after_sku is None or sku > after_sku)
                and (kind is None or product.kind is kind)
                and (active is None or product.details.active is active)
                and found(product)
            ],
            limit,
        )


class FakeStockLevels:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.levels: dict[tuple[str, str], StockLevel] = {}  # (warehouse, sku) → level
        self.ledger: list[Movement] = []
        self.low: set[tuple[str, str]] = set()  # below their reorder point
        self.points: FakeReorderPoints | None = None  # the unit of work's, for the low flag

    async def ensure(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> None:
        self.levels.setdefault(
            (warehouse, sku),
            StockLevel(sku=sku, on_hand=Decimal(0), reserved=Decimal(0), warehouse=warehouse),
        )

    async def get(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> StockLevel | None:
        level = self.levels.get((warehouse, sku))
        return replace(level) if level is not None else None

    async def lock(
        self, skus: Iterable[str], warehouse: str = MAIN_WAREHOUSE
    ) -> dict[str, StockLevel]:
        locked = await self.lock_in((warehouse, sku) for sku in skus)
        return {sku: level for (_warehouse, sku), level in locked.items()}

    async def lock_in(self, places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StockLevel]:
        return {
            place: replace(self.levels[place])
            for place in sorted(set(places))
            if place in self.levels
        }

    async def held_in(self, warehouse: str) -> list[StockLevel]:
        return [
            replace(level)
            for (w, _sku), level in sorted(self.levels.items())
            if w == warehouse and (level.on_hand > 0 or level.reserved > 0)
        ]

    async def save(self, level: StockLevel) -> None:
        if (level.warehouse, level.sku) in self.levels:
            self.levels[level.warehouse, level.sku] = replace(level)

    async def get_with_point(
        self, sku: str, warehouse: str = MAIN_WAREHOUSE
    ) -> tuple[StockLevel, ReorderPoint | None] | None:
        level = await self.get(sku, warehouse)
        if level is None:
            return None
        point = self.points.effective(sku, warehouse) if self.points is not None else None
        return level, point

    async def dropped_below_reorder_point(
        self, level: StockLevel, point: ReorderPoint | None
    ) -> bool:
        if point is None:
            return False
        place = (level.warehouse, level.sku)
        if level.available >= point.reorder_point:
            self.low.discard(place)
            return False
        if place in self.low:
            return False
        self.low.add(place)
        return True

    async def add_movement(self, level: StockLevel, change: StockChange) -> None:
        row = change.entry(level)
        self.ledger.append(Movement(id=len(self.ledger) + 1, created_at=self.clock.now, **row))

    async def save_moved(self, moves: Sequence[Move]) -> None:
        if len({id(level) for level, _change in moves}) < len(moves):
            raise ValueError("a level object moved twice: give a copy as each move left it")
        for level, change in moves:
            await self.save(level)
            await self.add_movement(level, change)

    async def movements(
        self, sku: str, *, limit: int, after_id: int | None, warehouse: str = MAIN_WAREHOUSE
    ) -> Page[Movement]:
        return _page(
            [
                m
                for m in self.ledger
                if m.sku == sku
                and m.warehouse == warehouse
                and (after_id is None or m.id > after_id)
            ],
            limit,
        )


class FakeWarehouses:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[str, Warehouse] = {
            MAIN_WAREHOUSE: Warehouse(MAIN_WAREHOUSE, "Main warehouse", is_default=True)
        }

    async def all(self) -> list[Warehouse]:
        return [replace(w) for _code, w in sorted(self.rows.items())]

    async def get(self, code: str, *, for_update: bool = False) -> Warehouse | None:
        found = self.rows.get(code)
        return replace(found) if found is not None else None

    async def lock_all(self) -> list[Warehouse]:
        return await self.all()

    async def add(self, warehouse: Warehouse) -> Warehouse | None:
        if warehouse.code in self.rows:
            return None
        self.rows[warehouse.code] = replace(warehouse, created_at=self.clock.now)
        return replace(self.rows[warehouse.code])

    async def save(self, warehouse: Warehouse) -> None:
        self.rows[warehouse.code] = replace(warehouse)


class FakeTransfers:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[str, Transfer] = {}

    async def add(self, transfer: Transfer) -> datetime:
        self.rows[transfer.id] = replace(transfer, created_at=self.clock.now)
        return self.clock.now

    async def get(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None:
        found = self.rows.get(transfer_id)
        return replace(found) if found is not None else None

    async def save(self, transfer: Transfer) -> None:
        self.rows[transfer.id] = replace(transfer)

    async def in_transit_to(self, warehouse: str) -> list[str]:
        ordered = sorted(self.rows.values(), key=lambda t: (t.created_at or self.clock.now, t.id))
        return [
            t.id
            for t in ordered
            if t.to_warehouse == warehouse and t.status is TransferStatus.IN_TRANSIT
        ]

    async def page(
        self, *, limit: int, status: str | None, after: tuple[datetime, str] | None
    ) -> Page[Transfer]:
        ordered = sorted(self.rows.values(), key=lambda t: (t.created_at or self.clock.now, t.id))
        return _page(
            [
                t
                for t in ordered
                if (status is None or t.status.value == status)
                and (after is None or (t.created_at or self.clock.now, t.id) > after)
            ],
            limit,
        )


class FakeStockOverview:
    def __init__(
        self, products: FakeProducts, stock: FakeStockLevels, points: FakeReorderPoints
    ) -> None:
        self.products = products
        self.stock = stock
        self.points = points

    async def page(
        self, where: StockFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[StockOverviewRow]:
        rows = []
        for (_warehouse, sku), level in sorted(
            self.stock.levels.items(), key=lambda item: (item[0][1], item[0][0])
        ):
            product = self.products.rows[sku]
            text = (where.text or "").lower()
            point = self.points.effective(sku, level.warehouse)
            reorder_point = point.reorder_point if point is not None else None
            if where.low_stock and (reorder_point is None or level.available >= reorder_point):
                continue
            if (
                (after is None or (sku, level.warehouse) > after)
                and (where.warehouse is None or level.warehouse == where.warehouse)
                and (where.available_below is None or level.available < where.available_below)
                and (
                    not text
                    or text in sku.lower()
                    or text in product.name.lower()
                    or product.details.barcode == text.strip()
                )
            ):
                rows.append(
                    StockOverviewRow(
                        sku,
                        product.name,
                        level.warehouse,
                        level.on_hand,
                        level.reserved,
                        reorder_point=reorder_point,
                    )
                )
        return _page(rows, limit)


@dataclass
class _Demand:
    seq: int
    demand: OrderDemand


class FakeReservations:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.demands: dict[str, _Demand] = {}
        self.records: dict[tuple[str, str], ReservationRecord] = {}
        self.sequence = itertools.count(1)

    async def claim_demand(self, demand: OrderDemand, *, causation_id: str | None) -> bool:
        seq = next(self.sequence)  # consumed even on a conflict, as an identity column does
        if demand.order_id in self.demands:
            return False
        self.demands[demand.order_id] = _Demand(seq, demand)
        return True

    async def lock_demand(self, order_id: str) -> OrderDemand | None:
        found = self.demands.get(order_id)
        return found.demand if found is not None else None

    async def set_demand_status(self, order_id: str, status: DemandStatus) -> None:
        if order_id in self.demands:
            held = self.demands[order_id]
            held.demand = replace(held.demand, status=status)

    async def lock_backordered_demands(self, order_ids: Collection[str]) -> dict[str, OrderDemand]:
        waiting = sorted(
            (self.demands[order_id] for order_id in order_ids if order_id in self.demands),
            key=lambda held: held.seq,
        )
        return {
            held.demand.order_id: held.demand
            for held in waiting
            if held.demand.status is DemandStatus.BACKORDERED
        }

    def _of(self, order_id: str) -> list[ReservationRecord]:
        return [self.records[key] for key in sorted(self.records) if key[0] == order_id]

    async def lines(self, order_id: str, *, for_update: bool = False) -> dict[str, ReservationLine]:
        return {
            record.sku: ReservationLine(
                order_id=record.order_id,
                sku=record.sku,
                quantity=record.quantity,
                shipped=record.shipped_quantity,
                released=record.released_quantity,
                backordered=record.status is LineStatus.BACKORDERED,
                warehouse=record.warehouse,
            )
            for record in self._of(order_id)
        }

    async def add_lines(
        self,
        order_id: str,
        demand: Mapping[str, Decimal],
        status: LineStatus,
        warehouses: Mapping[str, str] | None = None,
    ) -> None:
        if order_id not in self.demands:
            raise LookupError(f"no demand of order {order_id}")  # the foreign key
        now = self.clock.now
        for sku, amount in sorted(demand.items()):
            if (order_id, sku) in self.records:
                raise LookupError(f"line {order_id}/{sku} exists")  # the primary key
            where = (warehouses or {}).get(sku, MAIN_WAREHOUSE)
            self.records[order_id, sku] = ReservationRecord(
                order_id, sku, where, amount, Decimal(0), Decimal(0), status, now, now
            )

    async def save_lines(self, lines: Sequence[ReservationLine]) -> None:
        for line in lines:
            key = (line.order_id, line.sku)
            if key in self.records:
                self.records[key] = replace(
                    self.records[key],
                    shipped_quantity=line.shipped,
                    released_quantity=line.released,
                    status=line.status,
                    updated_at=self.clock.now,
                )

    async def drop_backordered_lines(self, order_id: str) -> None:
        for record in self._of(order_id):
            if record.status is LineStatus.BACKORDERED:
                del self.records[order_id, record.sku]

    async def mark_backorders_reserved(self, order_ids: Collection[str], warehouse: str) -> None:
        for order_id in order_ids:
            for record in self._of(order_id):
                if record.status is LineStatus.BACKORDERED:
                    self.records[order_id, record.sku] = replace(
                        record,
                        warehouse=warehouse,
                        status=LineStatus.RESERVED,
                        updated_at=self.clock.now,
                    )
            await self.set_demand_status(order_id, DemandStatus.RESERVED)

    async def backorders_involving(
        self, skus: Collection[str], *, after: int | None = None, limit: int | None = None
    ) -> list[Backorder]:
        waiting = []
        for held in sorted(self.demands.values(), key=lambda held: held.seq):
            if held.demand.status is not DemandStatus.BACKORDERED:
                continue
            if after is not None and held.seq <= after:
                continue
            demand = {
                record.sku: record.quantity
                for record in self._of(held.demand.order_id)
                if record.status is LineStatus.BACKORDERED
            }
            if set(demand) & set(skus):
                waiting.append(
                    Backorder(
                        order_id=held.demand.order_id,
                        demand=demand,
                        warehouse=held.demand.warehouse,
                        place=held.seq,
                    )
                )
        return waiting if limit is None else waiting[:limit]

    async def skus_waited_with(self, skus: Collection[str]) -> set[str]:
        return {sku for order in await self.backorders_involving(skus) for sku in order.demand}

    async def page(
        self, where: ReservationFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[ReservationRecord]:
        return _page(
            [
                record
                for key, record in sorted(self.records.items())
                if where.order_id in (None, record.order_id)
                and where.sku in (None, record.sku)
                and where.status in (None, record.status)
                and (after is None or key > after)
            ],
            limit,
        )


class FakeShipments:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[str, Shipment] = {}

    async def add(self, shipment: NewShipment) -> datetime:
        self.rows[shipment.id] = shipment.stored(self.clock.now)
        return self.clock.now

    async def get(self, shipment_id: str, *, for_update: bool = False) -> Shipment | None:
        return self.rows.get(shipment_id)

    async def mark_delivered(self, shipment_id: str, delivered_at: datetime) -> None:
        self.rows[shipment_id] = replace(self.rows[shipment_id], delivered_at=delivered_at)

    async def page(
        self, *, limit: int, order_id: str | None, after: tuple[datetime, str] | None
    ) -> Page[Shipment]:
        ordered = sorted(self.rows.values(), key=lambda s: (s.created_at, s.id))
        return _page(
            [
                s
                for s in ordered
                if (order_id is None or s.order_id == order_id)
                and (after is None or (s.created_at, s.id) > after)
            ],
            limit,
        )


class FakeRevisions:
    """Waits and whole-line writes over the fake reservations' records."""

    def __init__(self, reservations: FakeReservations) -> None:
        self.reservations = reservations
        self.rows: dict[tuple[str, str], tuple[int, Decimal]] = {}  # (order, sku) → (seq, qty)
        self.applied: dict[str, int] = {}
        self.sequence = itertools.count(1)

    async def applied_revision(self, order_id: str) -> int:
        return self.applied.get(order_id, 0)

    async def set_applied_revision(self, order_id: str, revision: int) -> None:
        self.applied[order_id] = revision

    async def waits(self, order_id: str, *, for_update: bool = False) -> dict[str, Decimal]:
        return {
            sku: qty for (order, sku), (_, qty) in sorted(self.rows.items()) if order == order_id
        }

    async def replace_waits(self, order_id: str, waits: Mapping[str, Decimal]) -> None:
        for key in [key for key in self.rows if key[0] == order_id and key[1] not in waits]:
            del self.rows[key]
        for sku, quantity in waits.items():
            seq = self.rows[order_id, sku][0] if (order_id, sku) in self.rows else None
            self.rows[order_id, sku] = (seq or next(self.sequence), quantity)

    async def drop_wait(self, wait: Wait) -> None:
        self.rows.pop((wait.order_id, wait.sku), None)

    async def waiting_for(self, skus: Collection[str]) -> list[Wait]:
        reserved = {
            order_id
            for order_id, held in self.reservations.demands.items()
            if held.demand.status is DemandStatus.RESERVED
        }
        found = sorted(
            (seq, order_id, sku, qty)
            for (order_id, sku), (seq, qty) in self.rows.items()
            if sku in skus and order_id in reserved
        )
        return [Wait(order_id, sku, qty) for _, order_id, sku, qty in found]

    async def put_line(self, line: ReservationLine) -> None:
        now = self.reservations.clock.now
        key = (line.order_id, line.sku)
        created = (
            self.reservations.records[key].created_at if key in self.reservations.records else now
        )
        self.reservations.records[key] = ReservationRecord(
            line.order_id,
            line.sku,
            line.warehouse,
            line.quantity,
            line.shipped,
            line.released,
            line.status,
            created,
            now,
        )


class FakeAdjustments:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: list[tuple[StockLevel, StockChange, Decimal]] = []

    async def add(self, level: StockLevel, change: StockChange, *, quantity: Decimal) -> datetime:
        self.rows.append((replace(level), change, quantity))
        return self.clock.now


class FakeUnitOfWork:
    """Everything in memory; `events` holds what `record` was given, in order."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.products = FakeProducts(self.clock)
        self.stock = FakeStockLevels(self.clock)
        self.reservations = FakeReservations(self.clock)
        self.shipments = FakeShipments(self.clock)
        self.revisions = FakeRevisions(self.reservations)
        self.adjustments = FakeAdjustments(self.clock)
        self.vendors = FakeVendors(self.clock)
        self.purchase_orders = FakePurchaseOrders(self.clock)
        self.returns = FakeReturns(self.clock)
        self.reorder_points = FakeReorderPoints()
        self.stock.points = self.reorder_points
        self.stock_overview = FakeStockOverview(self.products, self.stock, self.reorder_points)
        self.warehouses = FakeWarehouses(self.clock)
        self.transfers = FakeTransfers(self.clock)
        self.recorded: list[tuple[CloudEvent[Any], str | None]] = []

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        self.recorded.append((event, key or event.subject))

    async def record_all(self, events: Sequence[CloudEvent[Any]]) -> None:
        for event in events:
            await self.record(event)

    @property
    def events(self) -> list[CloudEvent[Any]]:
        return [event for event, _key in self.recorded]

    async def at_commit(self, key: str, work: AtCommit) -> None:
        """At once: a fake has no commit (SqlUnitOfWork defers it, and runs it once per key)."""
        await work()

    async def claim_reserved(
        self,
        demand: OrderDemand,
        *,
        causation_id: str | None,
        moves: Sequence[Move],
        lines: Mapping[str, Decimal],
        warehouses: Mapping[str, str],
        event: CloudEvent[Any],
    ) -> bool:
        """The parts in turn: the SQL statement writes them only if it claimed the demand."""
        if not await self.reservations.claim_demand(demand, causation_id=causation_id):
            return False
        await self.stock.save_moved(moves)
        await self.reservations.add_lines(demand.order_id, lines, LineStatus.RESERVED, warehouses)
        await self.record(event)
        return True

    async def ship(
        self,
        shipment: NewShipment,
        *,
        saved_lines: Sequence[ReservationLine],
        moves: Sequence[Move],
        event: CloudEvent[Any],
    ) -> datetime:
        """The parts in turn, as the SQL statement writes them together."""
        created_at = await self.shipments.add(shipment)
        await self.reservations.save_lines(saved_lines)
        await self.stock.save_moved(moves)
        await self.record(event)
        return created_at

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Undo everything done inside when it raises, as ROLLBACK TO SAVEPOINT does (sequences
        are not rolled back, in PostgreSQL either)."""
        repositories = (
            self.products,
            self.stock,
            self.reservations,
            self.shipments,
            self.revisions,
            self.vendors,
            self.purchase_orders,
            self.returns,
            self.reorder_points,
            self.warehouses,
            self.transfers,
        )
        saved = [(repo, _state(repo)) for repo in (*repositories, self.adjustments)]
        recorded = list(self.recorded)
        try:
            yield
        except BaseException:
            for repo, state in saved:
                vars(repo).update(state)
            self.recorded = recorded
            raise


def _state(repository: object) -> dict[str, Any]:
    """A deep copy of what a fake repository holds (its clock and sequence stay shared)."""
    return {
        name: copy.deepcopy(value)
        for name, value in vars(repository).items()
        if name not in ("clock", "sequence", "reservations", "points")
    }


def _satisfies_the_port(uow: FakeUnitOfWork) -> UnitOfWork:
    return uow  # mypy checks the fake against the Protocols here


@pytest.fixture
def fake_uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
