"""What the inventory keeps and shows besides the rules' state: catalogue entries, ledger rows,
adjustments, demands, reservation lines as listed, and shipments. Plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import (
    AdjustmentKind,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    StockLevel,
)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    kind: ItemKind
    description: str | None
    created_at: datetime
    updated_at: datetime
    details: CatalogueDetails = field(default_factory=CatalogueDetails)


@dataclass(frozen=True)
class StockChange:
    """A change of one stock level, as its ledger row will tell it."""

    kind: MovementKind
    on_hand_change: Decimal
    reserved_change: Decimal
    reference: str  # the adjustment, order or shipment id
    reason: str | None = None
    order_id: str | None = None

    @classmethod
    def of_order(
        cls, kind: MovementKind, order_id: str, reserved_change: Decimal, reason: str
    ) -> StockChange:
        """A reservation or release: only what is reserved for the order changes."""
        return cls(kind, Decimal(0), reserved_change, order_id, reason, order_id)

    @property
    def quantity_change(self) -> Decimal:
        """Of the balance the change is about: reserved for reservations and releases, on hand
        otherwise."""
        if self.kind in (MovementKind.RESERVATION, MovementKind.RELEASE):
            return self.reserved_change
        return self.on_hand_change

    def entry(self, level: StockLevel) -> dict[str, Any]:
        """The fields of its ledger row but the row's id and time: the change, and the level it
        left (`level`, already changed). The ledger keeps the first 500 characters of a reason."""
        return {
            "sku": level.sku,
            "warehouse": level.warehouse,
            "kind": self.kind,
            "quantity_change": self.quantity_change,
            "on_hand_change": self.on_hand_change,
            "reserved_change": self.reserved_change,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "reason": self.reason[:500] if self.reason else None,
            "reference": self.reference,
            "order_id": self.order_id,
        }


# A level already changed, with the change that made it (saved with its ledger row together).
Move = tuple[StockLevel, StockChange]


@dataclass(frozen=True)
class Movement:
    """One row of the stock ledger: the change and the level it left behind."""

    id: int
    sku: str
    warehouse: str
    kind: MovementKind
    quantity_change: Decimal  # of the balance the kind affects
    on_hand_change: Decimal
    reserved_change: Decimal
    on_hand: Decimal
    reserved: Decimal
    reason: str | None
    reference: str
    order_id: str | None
    created_at: datetime

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Adjustment:
    id: str
    sku: str
    kind: AdjustmentKind
    quantity_change: Decimal
    on_hand: Decimal
    reserved: Decimal
    reason: str
    created_at: datetime
    reserved_orders: tuple[str, ...] = ()

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class OrderDemand:
    """That the inventory acted on an order, and how it stands: reserved, waiting or cancelled."""

    order_id: str
    number: str | None
    status: DemandStatus
    correlation_id: str | None
    warehouse: str | None = None  # the warehouse the order named (None: any, by the rule)


@dataclass(frozen=True)
class ReservationRecord:
    """A reservation line as listed: what one order holds (or waits for) of one SKU."""

    order_id: str
    sku: str
    warehouse: str
    quantity: Decimal
    shipped_quantity: Decimal
    released_quantity: Decimal
    status: LineStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReservationFilter:
    """Which reservation lines a list shows; a field left None matches every line."""

    order_id: str | None = None
    sku: str | None = None
    status: LineStatus | None = None


@dataclass(frozen=True)
class Shipment:
    id: str
    order_id: str
    lines: dict[str, Decimal]
    fully_shipped: bool
    created_at: datetime
    carrier: str | None = None
    tracking_number: str | None = None
    shipping_date: date | None = None
    delivered_at: datetime | None = None
    warehouse: str = "MAIN"  # the warehouse it left from


@dataclass(frozen=True, kw_only=True)
class Carriage:
    """How a shipment travels: who carries it, its tracking number, the day it leaves."""

    carrier: str | None = None
    tracking_number: str | None = None
    shipping_date: date | None = None


@dataclass(frozen=True)
class NewShipment:
    """A shipment as a use case makes it, before it is stored (which gives it its time)."""

    id: str
    order_id: str
    lines: dict[str, Decimal]
    fully_shipped: bool
    carriage: Carriage = field(default_factory=Carriage)
    warehouse: str = "MAIN"  # the warehouse it leaves from

    def stored(self, created_at: datetime) -> Shipment:
        carriage = self.carriage
        return Shipment(
            self.id,
            self.order_id,
            dict(sorted(self.lines.items())),
            self.fully_shipped,
            created_at,
            carrier=carriage.carrier,
            tracking_number=carriage.tracking_number,
            shipping_date=carriage.shipping_date,
            warehouse=self.warehouse,
        )


@dataclass(frozen=True)
class StockFilter:
    """Which stock levels the overview lists; a field left None matches every level."""

    warehouse: str | None = None
    text: str | None = None  # in the SKU or name, or the exact barcode
    available_below: Decimal | None = None  # available under this
    low_stock: bool = False  # only levels whose available is under the product's reorder point


@dataclass(frozen=True)
class StockOverviewRow:
    """One product's stock in one warehouse, as the overview lists it."""

    sku: str
    name: str
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    incoming: Decimal = Decimal(0)  # what open purchase orders still expect
    reorder_point: Decimal | None = None

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved
