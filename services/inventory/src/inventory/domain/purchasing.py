"""Vendors and purchase orders: what is bought, from whom, and how much of it has arrived.

A purchase order goes draft → sent → partially received → received, or is cancelled while
nothing has been received. A receipt takes goods against the order's lines: never more than a
line still expects, unless the line allows over-receipt. Plain Python, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from inventory.domain.model import ZERO, DomainError, quantity, tidy
from pricing import document_totals, line_amounts


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


# --- errors -------------------------------------------------------------------------------------


class UnknownVendor(DomainError):
    def __init__(self, vendor_id: str) -> None:
        super().__init__(f"no vendor {vendor_id!r}")
        self.vendor_id = vendor_id


class UnknownPurchaseOrder(DomainError):
    def __init__(self, purchase_order_id: str) -> None:
        super().__init__(f"no purchase order {purchase_order_id!r}")
        self.purchase_order_id = purchase_order_id


class UnknownReorderPoint(DomainError):
    def __init__(self, sku: str, warehouse: str | None) -> None:
        where = f" in warehouse {warehouse}" if warehouse is not None else ""
        super().__init__(f"no reorder point for {sku!r}{where}")
        self.sku = sku


class PurchaseOrderStateError(DomainError):
    """The purchase order's status does not allow the change (409)."""

    def __init__(self, number: str, status: PurchaseOrderStatus, action: str) -> None:
        super().__init__(f"purchase order {number} is {status.value}: it cannot be {action}")
        self.status = status


class ReceiptExceedsOrder(DomainError):
    """More would be received on a line than it still expects, and it allows no over-receipt."""

    def __init__(self, sku: str, requested: Decimal, expected: Decimal) -> None:
        super().__init__(
            f"cannot receive {tidy(requested)} of {sku}: the purchase order expects only "
            f"{tidy(expected)} more"
        )
        self.sku = sku


class NotPurchasable(DomainError):
    """A line names a product that cannot be bought: unknown, a service, or inactive (422)."""

    def __init__(self, field: str, sku: str, reason: str) -> None:
        super().__init__(f"{sku}: {reason}")
        self.field = field
        self.sku = sku


class NotOnPurchaseOrder(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is not on this purchase order")
        self.sku = sku


# --- vendors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppliedProduct:
    """A product a vendor supplies: its price to us and how long delivery takes."""

    sku: str
    purchase_price: Decimal
    lead_time_days: int
    vendor_sku: str | None = None


@dataclass(frozen=True, kw_only=True)
class VendorDetails:
    """What a person writes about a vendor (all of it is replaced by an update)."""

    name: str
    currency: str
    payment_terms_days: int = 30
    email: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    address: Mapping[str, str | None] | None = None
    supplies: tuple[SuppliedProduct, ...] = ()

    def supplied(self, sku: str) -> SuppliedProduct | None:
        return next((item for item in self.supplies if item.sku == sku), None)


@dataclass(frozen=True, kw_only=True)
class Vendor(VendorDetails):
    id: str
    created_at: datetime
    updated_at: datetime


# --- purchase orders ----------------------------------------------------------------------------


@dataclass
class PurchaseLine:
    """One product ordered from the vendor, and how much of it has arrived so far."""

    sku: str
    quantity: Decimal
    unit_price: Decimal
    expected_date: date | None = None
    allow_over_receipt: bool = False
    received: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        """Still expected: ordered and not yet received (never below 0)."""
        return max(self.quantity - self.received, ZERO)

    def net(self, currency: str) -> Decimal:
        return line_amounts(self.quantity, self.unit_price, ZERO, ZERO, currency=currency).net


@dataclass
class PurchaseOrder:
    id: str
    number: str
    vendor_id: str
    currency: str
    warehouse: str
    status: PurchaseOrderStatus
    lines: list[PurchaseLine]
    expected_date: date | None = None
    notes: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        """The net total, each line rounded to the currency's minor unit first (ADR 5)."""
        amounts = [
            (ZERO, line_amounts(line.quantity, line.unit_price, ZERO, ZERO, currency=self.currency))
            for line in self.lines
        ]
        return document_totals(amounts, subject="purchase order").net

    @property
    def open_quantities(self) -> dict[str, Decimal]:
        """What the vendor still owes, per SKU: the `incoming` of an open purchase order."""
        if self.status not in OPEN:
            return {}
        due: dict[str, Decimal] = {}
        for line in self.lines:
            if line.open > 0:
                due[line.sku] = due.get(line.sku, ZERO) + line.open
        return due

    def send(self) -> None:
        if self.status is not PurchaseOrderStatus.DRAFT:
            raise PurchaseOrderStateError(self.number, self.status, "sent")
        self.status = PurchaseOrderStatus.SENT

    def cancel(self) -> None:
        """Only an order nothing has arrived for may be cancelled."""
        if self.status not in (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT):
            raise PurchaseOrderStateError(self.number, self.status, "cancelled")
        self.status = PurchaseOrderStatus.CANCELLED

    def receive(self, quantities: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """Take a receipt against the lines (per SKU, filling its lines in order); returns what
        was received per SKU. Checks everything first: nothing changes when a SKU is refused."""
        if self.status not in OPEN:
            raise PurchaseOrderStateError(self.number, self.status, "received against")
        plan = ReceiptPlan.of(self.lines, quantities)
        for line, amount in plan.allocations:
            line.received += amount
        self.status = (
            PurchaseOrderStatus.RECEIVED
            if all(line.open == 0 for line in self.lines)
            else PurchaseOrderStatus.PARTIALLY_RECEIVED
        )
        return plan.received


OPEN = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)


@dataclass
class ReceiptPlan:
    """How a receipt's quantities spread over the lines of its SKU, first line first."""

    allocations: list[tuple[PurchaseLine, Decimal]] = field(default_factory=list)
    received: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: list[PurchaseLine], quantities: Mapping[str, Decimal]) -> ReceiptPlan:
        plan = cls()
        for sku in sorted(quantities):
            amount = quantity(quantities[sku])
            if amount <= 0:
                raise ReceiptExceedsOrder(sku, amount, ZERO)
            of_sku = [line for line in lines if line.sku == sku]
            if not of_sku:
                raise NotOnPurchaseOrder(sku)
            expected = sum((line.open for line in of_sku), ZERO)
            if amount > expected and not any(line.allow_over_receipt for line in of_sku):
                raise ReceiptExceedsOrder(sku, amount, expected)
            plan.received[sku] = amount
            rest = amount
            for line in of_sku:
                take = min(rest, line.open)
                if take > 0:
                    plan.allocations.append((line, take))
                    rest -= take
            if rest > 0:  # over-receipt: the last line that allows it takes the surplus
                line = [line for line in of_sku if line.allow_over_receipt][-1]
                plan.allocations.append((line, rest))
        return plan


@dataclass(frozen=True)
class Receipt:
    """Goods that arrived against a purchase order, into its warehouse."""

    id: str
    purchase_order_id: str
    warehouse: str
    lines: Mapping[str, Decimal]
    created_at: datetime
    reserved_orders: tuple[str, ...] = ()


# --- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PurchaseLineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the vendor's purchase price of the product
    expected_date: date | None = None  # None: the order's, else today plus the lead time
    allow_over_receipt: bool = False


@dataclass(frozen=True, kw_only=True)
class CreatePurchaseOrder:
    vendor_id: str
    lines: tuple[PurchaseLineInput, ...]
    warehouse: str | None = None
    currency: str | None = None  # None: the vendor's
    expected_date: date | None = None
    notes: str | None = None
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiveGoods:
    purchase_order_id: str
    lines: tuple[tuple[str, Decimal], ...]
    correlation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderAction:
    """Send or cancel: who asked, in which flow."""

    purchase_order_id: str
    correlation_id: str | None = None
    actor: str | None = None


# --- reordering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReorderPoint:
    """Buy `reorder_quantity` (at least) once available plus on order drops below the point.

    `warehouse` None: the product's own point, the fallback of every warehouse that has none
    of its own; otherwise the point of the SKU in that warehouse."""

    sku: str
    reorder_point: Decimal
    reorder_quantity: Decimal
    warehouse: str | None = None


@dataclass(frozen=True)
class Offer:
    vendor_id: str
    purchase_price: Decimal
    lead_time_days: int


@dataclass(frozen=True)
class Suggestion:
    """A product to buy for a warehouse: how much, and from whom (None: no vendor supplies it)."""

    sku: str
    available: Decimal
    on_order: Decimal
    reorder_point: Decimal
    quantity: Decimal
    offer: Offer | None
    warehouse: str


Place = tuple[str, str]  # (warehouse, sku)


def points_per_warehouse(
    points: list[ReorderPoint], warehouses: list[str], default: str, stocked: set[Place]
) -> list[ReorderPoint]:
    """The point each (SKU, warehouse) is held to, in (SKU, warehouse) order.

    A warehouse's own point wins. The product's point (`warehouse` None) is the fallback: in
    the default warehouse, and in any other of `warehouses` (the active ones) where the SKU is
    stocked (`stocked`: it has a stock level there). Points of warehouses not in `warehouses`
    are left out."""
    own = {(p.warehouse, p.sku): p for p in points if p.warehouse is not None}
    general = {p.sku: p for p in points if p.warehouse is None}
    found = []
    for sku in sorted({p.sku for p in points}):
        for warehouse in sorted(warehouses):
            point = own.get((warehouse, sku))
            falls_back = warehouse == default or (warehouse, sku) in stocked
            if point is None and sku in general and falls_back:
                point = replace(general[sku], warehouse=warehouse)
            if point is not None:
                found.append(point)
    return found


def suggestions(
    points: list[ReorderPoint],
    available: Mapping[Place, Decimal],
    on_order: Mapping[Place, Decimal],
    offers: Mapping[str, list[Offer]],
) -> list[Suggestion]:
    """What to buy, in (SKU, warehouse) order: every point (per warehouse, see
    `points_per_warehouse`) whose warehouse's available stock plus what purchase orders into it
    (drafts included) still bring is below it. It is bought up to the point, and at least its
    reorder quantity, from the cheapest vendor (then the quickest)."""
    found = []
    for point in sorted(points, key=lambda p: (p.sku, p.warehouse or "")):
        place = (point.warehouse or "", point.sku)
        projected = available.get(place, ZERO) + on_order.get(place, ZERO)
        if projected >= point.reorder_point:
            continue
        best = min(
            offers.get(point.sku, []),
            key=lambda o: (o.purchase_price, o.lead_time_days, o.vendor_id),
            default=None,
        )
        found.append(
            Suggestion(
                sku=point.sku,
                available=available.get(place, ZERO),
                on_order=on_order.get(place, ZERO),
                reorder_point=point.reorder_point,
                quantity=max(point.reorder_quantity, point.reorder_point - projected),
                offer=best,
                warehouse=point.warehouse or "",
            )
        )
    return found
