"""What the use cases need from storage: one repository per aggregate, and the unit of work.

The SQL adapters (`inventory.adapters`) work inside the caller's transaction; the unit tests use
in-memory fakes, and one contract test suite holds both to the same behaviour.

Lock order, everywhere: stock levels (in SKU order) → order demands → reservation lines (see
`service_layer.locking`). The `lock…` methods and `for_update=True` take row locks held until
the caller's transaction ends.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

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
from inventory.domain.warehouses import Transfer, Warehouse
from inventory.service_layer.purchasing_ports import (
    PurchaseOrderRepository,
    ReorderPointRepository,
    ReturnRepository,
    VendorRepository,
)
from servicekit.unit_of_work import AtCommit, RecordsEvents

T = TypeVar("T")

# A page of a list: the items and whether more follow.
Page = tuple[list[T], bool]


class ProductRepository(Protocol):
    """The catalogue: products (stocked) and services (not stocked). Never deleted."""

    async def get(self, sku: str, *, for_update: bool = False) -> Product | None: ...

    async def kinds(self, skus: Collection[str]) -> dict[str, ItemKind]:
        """The kind of each of `skus` the catalogue knows."""
        ...

    async def add(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = ...,
    ) -> Product | None:
        """Create the product; None when its SKU exists already (nothing changes then)."""
        ...

    async def update(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = ...,
    ) -> Product: ...

    async def page(
        self,
        *,
        limit: int,
        after_sku: str | None,
        kind: ItemKind | None,
        text: str | None,
        active: bool | None = None,
    ) -> Page[Product]:
        """In SKU order after `after_sku`; `text` is found in the SKU, name or description, or
        is the barcode; `active` keeps only the items sold (True) or withdrawn (False)."""
        ...


class StockLevelRepository(Protocol):
    """What each warehouse holds per SKU, and the ledger of every change to it. `warehouse`
    defaults to the main one."""

    async def ensure(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> None:
        """Give a product its (empty) stock level in the warehouse, if it has none yet."""
        ...

    async def get(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> StockLevel | None: ...

    async def lock(
        self, skus: Iterable[str], warehouse: str = MAIN_WAREHOUSE
    ) -> dict[str, StockLevel]:
        """Lock the levels of `skus` (those that exist) in SKU order, so lockers queue alike."""
        ...

    async def lock_in(self, places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StockLevel]:
        """Lock the levels of (warehouse, SKU) pairs (those that exist) in one statement, in
        (warehouse, SKU) order, so lockers of several warehouses queue alike too."""
        ...

    async def held_in(self, warehouse: str) -> list[StockLevel]:
        """The warehouse's levels with anything on hand or reserved."""
        ...

    async def save(self, level: StockLevel) -> None: ...

    async def get_with_point(
        self, sku: str, warehouse: str = MAIN_WAREHOUSE
    ) -> tuple[StockLevel, ReorderPoint | None] | None:
        """The level and the reorder point in force for it (its warehouse's own, else its
        product's; None: none), in one read; None without a level."""
        ...

    async def dropped_below_reorder_point(
        self, level: StockLevel, point: ReorderPoint | None
    ) -> bool:
        """Remember whether the (locked, saved) level's available is below `point`, the reorder
        point in force for it (`get_with_point`); True when it has just dropped below it."""
        ...

    async def add_movement(self, level: StockLevel, change: StockChange) -> None:
        """Write one ledger row: the change and the level it left (`level` is already after)."""
        ...

    async def save_moved(self, moves: Sequence[Move]) -> None:
        """`save` each level and `add_movement` its change, in one statement. A level moved
        more than once comes as a copy per move, as that move left it (the last is saved)."""
        ...

    async def movements(
        self, sku: str, *, limit: int, after_id: int | None, warehouse: str = MAIN_WAREHOUSE
    ) -> Page[Movement]:
        """The ledger of one SKU in one warehouse, oldest first."""
        ...


class WarehouseRepository(Protocol):
    """The warehouses. Never deleted: deactivated."""

    async def all(self) -> list[Warehouse]:
        """Every warehouse, by code."""
        ...

    async def get(self, code: str, *, for_update: bool = False) -> Warehouse | None: ...

    async def lock_all(self) -> list[Warehouse]:
        """Every warehouse, locked until the transaction ends (in code order)."""
        ...

    async def add(self, warehouse: Warehouse) -> Warehouse | None:
        """Create it; None when the code exists already (nothing changes then)."""
        ...

    async def save(self, warehouse: Warehouse) -> None: ...


class TransferRepository(Protocol):
    async def add(self, transfer: Transfer) -> datetime:
        """Store a transfer; returns its creation time."""
        ...

    async def get(self, transfer_id: str, *, for_update: bool = False) -> Transfer | None: ...

    async def save(self, transfer: Transfer) -> None: ...

    async def in_transit_to(self, warehouse: str) -> list[str]:
        """The ids of the transfers still on their way to `warehouse`, oldest first."""
        ...

    async def page(
        self, *, limit: int, status: str | None, after: tuple[datetime, str] | None
    ) -> Page[Transfer]:
        """Oldest first (creation time, id) after `after`."""
        ...


class StockOverview(Protocol):
    """Stock at a glance: every stocked product's level per warehouse, with its name."""

    async def page(
        self, where: StockFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[StockOverviewRow]:
        """In (SKU, warehouse) order after `after`."""
        ...


class ReservationRepository(Protocol):
    """Order demands (one per order acted on) and their reservation lines."""

    async def claim_demand(self, demand: OrderDemand, *, causation_id: str | None) -> bool:
        """Record that this order was acted on; False when it already was (the same fact again)."""
        ...

    async def lock_demand(self, order_id: str) -> OrderDemand | None: ...

    async def set_demand_status(self, order_id: str, status: DemandStatus) -> None: ...

    async def lines(self, order_id: str, *, for_update: bool = False) -> dict[str, ReservationLine]:
        """The order's lines by SKU, in SKU order (each SKU of an order is in one warehouse)."""
        ...

    async def add_lines(
        self,
        order_id: str,
        demand: Mapping[str, Decimal],
        status: LineStatus,
        warehouses: Mapping[str, str] | None = None,
    ) -> None:
        """Lines of `demand`, each in the warehouse `warehouses` gives its SKU (main: none)."""
        ...

    async def save_lines(self, lines: Sequence[ReservationLine]) -> None:
        """Write back what `lines` shipped and released, and their status (each line once)."""
        ...

    async def drop_backordered_lines(self, order_id: str) -> None: ...

    async def mark_backorders_reserved(self, order_ids: Collection[str], warehouse: str) -> None:
        """The orders' waiting lines become lines reserved in `warehouse`, and their demands
        reserved: one statement however many orders (a receipt after a long stock-out)."""
        ...

    async def backorders_involving(
        self, skus: Collection[str], *, after: int | None = None, limit: int | None = None
    ) -> list[Backorder]:
        """The waiting orders that need any of `skus`, oldest first, each with its whole demand
        and its place in the queue: those after the place `after`, at most `limit` of them."""
        ...

    async def skus_waited_with(self, skus: Collection[str]) -> set[str]:
        """Every SKU that the orders waiting for any of `skus` need (`skus` among them if any
        waits), read in the database however many orders wait."""
        ...

    async def lock_backordered_demands(self, order_ids: Collection[str]) -> dict[str, OrderDemand]:
        """Lock the demands of `order_ids` still backordered (re-checked under the lock)."""
        ...

    async def page(
        self, where: ReservationFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[ReservationRecord]:
        """Lines (backordered ones included) in (order id, SKU) order after `after`."""
        ...


class ShipmentRepository(Protocol):
    async def add(self, shipment: NewShipment) -> datetime:
        """Store the shipment with its lines; returns its creation time."""
        ...

    async def get(self, shipment_id: str, *, for_update: bool = False) -> Shipment | None: ...

    async def mark_delivered(self, shipment_id: str, delivered_at: datetime) -> None: ...

    async def page(
        self, *, limit: int, order_id: str | None, after: tuple[datetime, str] | None
    ) -> Page[Shipment]:
        """Oldest first (by creation time, then id) after `after`."""
        ...


class AdjustmentRepository(Protocol):
    async def add(self, level: StockLevel, change: StockChange, *, quantity: Decimal) -> datetime:
        """Store the adjustment that made `change` (its reference is the adjustment id), with the
        level it left and the `quantity` asked for; returns its creation time."""
        ...


class RevisionRepository(Protocol):
    """What revisions of reserved orders leave waiting for stock, and the lines they resize."""

    async def applied_revision(self, order_id: str) -> int:
        """The last revision of the order applied (0: none; read under the demand's lock)."""
        ...

    async def set_applied_revision(self, order_id: str, revision: int) -> None: ...

    async def waits(self, order_id: str, *, for_update: bool = False) -> dict[str, Decimal]:
        """What waits for the order, per SKU."""
        ...

    async def replace_waits(self, order_id: str, waits: Mapping[str, Decimal]) -> None:
        """Make `waits` all that waits for the order (a SKU still waiting keeps its place)."""
        ...

    async def drop_wait(self, wait: Wait) -> None: ...

    async def waiting_for(self, skus: Collection[str]) -> list[Wait]:
        """The waits of reserved (not cancelled or backordered) orders for `skus`, oldest
        first, locked (after the stock levels)."""
        ...

    async def put_line(self, line: ReservationLine) -> None:
        """Write the order's line of its SKU whole, its quantity too; add it if it is new."""
        ...


class UnitOfWork(RecordsEvents, Protocol):
    """The repositories of one transaction, and the outbox its commit writes with them
    (`record(event)`). The transaction belongs to the caller; a use case only reads and writes
    through this.
    """

    @property
    def products(self) -> ProductRepository: ...

    @property
    def stock(self) -> StockLevelRepository: ...

    @property
    def reservations(self) -> ReservationRepository: ...

    @property
    def shipments(self) -> ShipmentRepository: ...

    @property
    def revisions(self) -> RevisionRepository: ...

    @property
    def adjustments(self) -> AdjustmentRepository: ...

    @property
    def vendors(self) -> VendorRepository: ...

    @property
    def purchase_orders(self) -> PurchaseOrderRepository: ...

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def reorder_points(self) -> ReorderPointRepository: ...

    @property
    def warehouses(self) -> WarehouseRepository: ...

    @property
    def transfers(self) -> TransferRepository: ...

    @property
    def stock_overview(self) -> StockOverview: ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part that an exception undoes, locks it took included, leaving the rest alone."""
        ...

    async def at_commit(self, key: str, work: AtCommit) -> None:
        """Run `work` once, right before the transaction commits: a second call with the same
        `key` in the same transaction does nothing."""
        ...

    async def record_all(self, events: Sequence[CloudEvent[Any]]) -> None:
        """`record` each of `events` (keyed by its subject), in order, in one exchange."""
        ...

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
        """Claim the order's demand (`reservations.claim_demand`) and, only if claimed now,
        `stock.save_moved(moves)`, add its reserved `lines` (SKU → quantity, in `warehouses`)
        and `record(event)`. False, and nothing written, if it was claimed before."""
        ...

    async def ship(
        self,
        shipment: NewShipment,
        *,
        saved_lines: Sequence[ReservationLine],
        moves: Sequence[Move],
        event: CloudEvent[Any],
    ) -> datetime:
        """`shipments.add(shipment)`, `reservations.save_lines(saved_lines)`,
        `stock.save_moved(moves)` and `record(event)`, all or nothing; returns the shipment's
        creation time."""
        ...
