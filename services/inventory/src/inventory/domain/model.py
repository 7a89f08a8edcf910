"""Stock levels, reservations and shipments: the inventory rules, in plain Python.

Quantities are `Decimal`s with at most three decimal places (`quantity()` quantizes with
ROUND_HALF_UP). Nothing here does I/O: the service layer loads and locks the state, asks these
rules what to do, and persists the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MAIN_WAREHOUSE = "MAIN"
QUANTUM = Decimal("0.001")
ZERO = Decimal("0")


def quantity(value: Decimal | int | str) -> Decimal:
    """A quantity with exactly three decimal places (ROUND_HALF_UP)."""
    return Decimal(value).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def tidy(value: Decimal) -> Decimal:
    """A quantity without trailing zeros and never in exponent notation: 10.500 -> 10.5."""
    q = quantity(value)
    if q == 0:
        return ZERO
    if q == q.to_integral_value():
        return q.quantize(Decimal(1))
    return q.normalize()


class ItemKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


class AdjustmentKind(StrEnum):
    RECEIPT = "receipt"
    DAMAGE = "damage"
    LOSS = "loss"
    COUNT_CORRECTION = "count_correction"


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    DAMAGE = "damage"
    LOSS = "loss"
    COUNT_CORRECTION = "count_correction"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"  # a customer's return put back on hand
    SCRAP = "scrap"  # a customer's return written off: on hand does not change
    TRANSFER_OUT = "transfer_out"  # left for another warehouse (in transit)
    TRANSFER_IN = "transfer_in"  # a transfer from another warehouse was received


class LineStatus(StrEnum):
    BACKORDERED = "backordered"
    RESERVED = "reserved"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    RELEASED = "released"


class DemandStatus(StrEnum):
    BACKORDERED = "backordered"
    RESERVED = "reserved"
    CANCELLED = "cancelled"


# --- errors -------------------------------------------------------------------------------------


class DomainError(Exception):
    """A request the rules refuse; the state is left unchanged."""


class UnknownProduct(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product with SKU {sku!r}")
        self.sku = sku


class NotStocked(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku!r} is a service: it has no stock")
        self.sku = sku


class UnknownShipment(DomainError):
    def __init__(self, shipment_id: str) -> None:
        super().__init__(f"no shipment {shipment_id!r}")
        self.shipment_id = shipment_id


class DeliveryRefused(DomainError):
    """Delivered twice, or before it was shipped (409)."""


class StockRuleViolation(DomainError):
    """The change would leave on_hand negative, below what is reserved, or overbooked."""

    def __init__(self, sku: str, message: str) -> None:
        super().__init__(f"{sku}: {message}")
        self.sku = sku


class ShipmentExceedsReservation(DomainError):
    def __init__(self, sku: str, requested: Decimal, open_quantity: Decimal) -> None:
        super().__init__(
            f"cannot ship {tidy(requested)} of {sku}: only {tidy(open_quantity)} "
            "is reserved and not yet shipped for this order"
        )
        self.sku = sku
        self.requested = requested
        self.open_quantity = open_quantity


# --- stock level --------------------------------------------------------------------------------


@dataclass
class StockLevel:
    """What one warehouse holds of one SKU; `available` is what can still be reserved."""

    sku: str
    on_hand: Decimal
    reserved: Decimal
    warehouse: str = MAIN_WAREHOUSE

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def apply_adjustment(self, kind: AdjustmentKind, amount: Decimal) -> Decimal:
        """Apply a receipt, damage, loss or count; returns the change of on_hand.

        A count correction sets on_hand to the counted `amount` (which may be 0); the other kinds
        need `amount` > 0. Nothing may leave on_hand negative or below what is reserved.
        """
        amount = quantity(amount)
        if amount < 0 or (amount == 0 and kind is not AdjustmentKind.COUNT_CORRECTION):
            raise StockRuleViolation(self.sku, f"a {kind.value} needs a quantity above 0")
        if kind is AdjustmentKind.RECEIPT:
            change = amount
        elif kind in (AdjustmentKind.DAMAGE, AdjustmentKind.LOSS):
            change = -amount
        else:
            change = amount - self.on_hand
        after = self.on_hand + change
        if after < 0:
            raise StockRuleViolation(
                self.sku, f"on hand is {tidy(self.on_hand)}: cannot remove {tidy(-change)}"
            )
        if after < self.reserved:
            raise StockRuleViolation(
                self.sku,
                f"{tidy(self.reserved)} is reserved: on hand cannot drop to {tidy(after)}",
            )
        self.on_hand = after
        return change

    def reserve(self, amount: Decimal) -> None:
        if amount <= 0 or amount > self.available:
            raise StockRuleViolation(
                self.sku, f"cannot reserve {tidy(amount)}: {tidy(self.available)} available"
            )
        self.reserved += amount

    def release(self, amount: Decimal) -> None:
        if amount <= 0 or amount > self.reserved:
            raise StockRuleViolation(
                self.sku, f"cannot release {tidy(amount)}: {tidy(self.reserved)} reserved"
            )
        self.reserved -= amount

    def ship(self, amount: Decimal) -> None:
        """Shipping takes reserved stock out of the warehouse: on_hand and reserved drop."""
        if amount <= 0 or amount > self.reserved:
            raise StockRuleViolation(
                self.sku, f"cannot ship {tidy(amount)}: {tidy(self.reserved)} reserved"
            )
        self.on_hand -= amount
        self.reserved -= amount


# --- demand and reservation ---------------------------------------------------------------------


def aggregate(lines: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Sum the quantities per SKU; keys come out in SKU order (the locking order)."""
    totals: dict[str, Decimal] = {}
    for sku, amount in lines:
        totals[sku] = totals.get(sku, ZERO) + quantity(amount)
    return {sku: totals[sku] for sku in sorted(totals)}


def product_demand(
    lines: Iterable[tuple[str, str, Decimal]], services: Iterable[str] = ()
) -> dict[str, Decimal]:
    """What an order asks of the warehouse: its `product` lines per SKU.

    `lines` are (sku, kind, quantity). A line whose SKU the catalogue knows as a service is
    skipped even if the order calls it a product; an SKU the catalogue does not know stays in.
    """
    skipped = set(services)
    return aggregate(
        (sku, amount)
        for sku, kind, amount in lines
        if kind == ItemKind.PRODUCT.value and sku not in skipped
    )


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: Decimal
    available: Decimal


def shortages(demand: Mapping[str, Decimal], levels: Mapping[str, StockLevel]) -> list[Shortage]:
    """Every SKU of `demand` that the levels cannot cover; an SKU without a level has 0."""
    missing = []
    for sku in sorted(demand):
        level = levels.get(sku)
        available = max(level.available, ZERO) if level is not None else ZERO
        if demand[sku] > available:
            missing.append(Shortage(sku=sku, requested=demand[sku], available=available))
    return missing


def reserve_all_or_none(
    demand: Mapping[str, Decimal], levels: Mapping[str, StockLevel]
) -> list[Shortage]:
    """Reserve every line of `demand`, or nothing at all; returns the shortages (empty = done)."""
    missing = shortages(demand, levels)
    if missing:
        return missing
    for sku in sorted(demand):
        levels[sku].reserve(demand[sku])
    return []


@dataclass(frozen=True)
class Backorder:
    """An order waiting for stock: its whole demand, reserved together or not at all."""

    order_id: str
    demand: Mapping[str, Decimal]
    warehouse: str | None = None  # the warehouse the order named (None: any, by the rule)
    place: int = 0  # in the queue of waiting orders: older ones have lower places


@dataclass(frozen=True)
class ServedBackorder:
    """A waiting order reserved, with each of its levels as reserving it left them (copies: the
    ledger row of each reservation tells the balance after it, not after the last one)."""

    order: Backorder
    left: Mapping[str, StockLevel]


def fulfil_backorders(
    backorders: Sequence[Backorder], levels: Mapping[str, StockLevel]
) -> list[ServedBackorder]:
    """Reserve for the waiting orders, oldest first, each all-or-none; returns those reserved.

    An order that still does not fit does not block a younger one that does.
    """
    return [
        ServedBackorder(order, {sku: replace(levels[sku]) for sku in sorted(order.demand)})
        for order in backorders
        if not reserve_all_or_none(order.demand, levels)
    ]


# --- reservation lines and shipments ------------------------------------------------------------


@dataclass
class ReservationLine:
    """What one order holds (or waits for) of one SKU."""

    order_id: str
    sku: str
    quantity: Decimal
    shipped: Decimal = ZERO
    released: Decimal = ZERO
    backordered: bool = False
    warehouse: str = MAIN_WAREHOUSE  # where it is reserved (one warehouse per SKU of an order)

    @property
    def open(self) -> Decimal:
        """Reserved and neither shipped nor released."""
        if self.backordered:
            return ZERO
        return self.quantity - self.shipped - self.released

    @property
    def status(self) -> LineStatus:
        if self.backordered:
            return LineStatus.BACKORDERED
        if self.released > 0:
            return LineStatus.RELEASED
        if self.shipped >= self.quantity:
            return LineStatus.SHIPPED
        if self.shipped > 0:
            return LineStatus.PARTIALLY_SHIPPED
        return LineStatus.RESERVED

    def ship(self, amount: Decimal) -> None:
        if amount <= 0 or amount > self.open:
            raise ShipmentExceedsReservation(self.sku, amount, self.open)
        self.shipped += amount

    def release_open(self) -> Decimal:
        """Give back whatever is still open; returns how much."""
        amount = self.open
        self.released += amount
        return amount


def check_shipment(requested: Mapping[str, Decimal], lines: Mapping[str, ReservationLine]) -> None:
    """Refuse a shipment that exceeds, for some SKU, what is reserved and not yet shipped."""
    for sku in sorted(requested):
        line = lines.get(sku)
        open_quantity = line.open if line is not None else ZERO
        if requested[sku] <= 0 or requested[sku] > open_quantity:
            raise ShipmentExceedsReservation(sku, requested[sku], open_quantity)


def fully_shipped(lines: Iterable[ReservationLine]) -> bool:
    """True when the order has reserved lines and every reserved quantity is shipped (what was
    released, by a revision that removed a line, is not to ship)."""
    held = [line for line in lines if not line.backordered]
    return bool(held) and all(line.shipped >= line.quantity - line.released for line in held)


@dataclass
class ShipmentPlan:
    """The effect of one shipment on the order's lines and the stock levels."""

    lines: dict[str, Decimal] = field(default_factory=dict)
    fully_shipped: bool = False


def ship(
    requested: Mapping[str, Decimal],
    lines: Mapping[str, ReservationLine],
    levels: Mapping[str, StockLevel],
) -> ShipmentPlan:
    """Check then apply a shipment: lines and levels change only if every SKU fits."""
    check_shipment(requested, lines)
    for sku in sorted(requested):
        level = levels.get(sku)
        if level is None:
            raise StockRuleViolation(sku, "no stock level to ship from")
        if requested[sku] > level.reserved:
            raise StockRuleViolation(sku, "reserved stock is lower than the order's reservation")
    for sku in sorted(requested):
        lines[sku].ship(requested[sku])
        levels[sku].ship(requested[sku])
    return ShipmentPlan(lines=dict(requested), fully_shipped=fully_shipped(lines.values()))
