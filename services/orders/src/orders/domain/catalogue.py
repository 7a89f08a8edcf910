"""The catalogue as orders sees it: the items inventory announces (product.changed) with their
list prices and active flag, what its warehouses hold of them (stock.level_changed), and the
warehouses themselves (warehouse.changed).

A local view, fed by events only (no call to inventory): each entry moves forwards along its
producer's per-SKU `sequence`, so a late or repeated event never puts an older state back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.domain.errors import InvalidOrder

ZERO = Decimal(0)


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    name: str
    kind: str  # product (stocked) or service
    description: str | None = None
    list_prices: Mapping[str, Decimal] = field(default_factory=dict)
    unit_of_measure: str = "unit"
    tax_category: str = "standard"
    active: bool = True
    barcode: str | None = None
    sequence: int | None = None  # the product event's per-SKU number, None if unnumbered

    def list_price(self, currency: str) -> Decimal | None:
        return self.list_prices.get(currency)


@dataclass(frozen=True)
class StockAvailability:
    """What one warehouse holds of a SKU, as inventory last reported it."""

    sku: str
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    sequence: int | None = None


@dataclass(frozen=True)
class Availability:
    """A SKU's stock over every warehouse, and per warehouse."""

    warehouses: Sequence[StockAvailability] = ()

    @property
    def on_hand(self) -> Decimal:
        return sum((w.on_hand for w in self.warehouses), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((w.reserved for w in self.warehouses), ZERO)

    @property
    def available(self) -> Decimal:
        return sum((w.available for w in self.warehouses), ZERO)


@dataclass(frozen=True)
class KnownWarehouse:
    """A warehouse as inventory last announced it (warehouse.changed)."""

    code: str
    name: str
    priority: int = 100
    is_default: bool = False
    active: bool = True
    sequence: int | None = None  # the warehouse event's per-code number, None if unnumbered


def usable_warehouse(found: KnownWarehouse | None, code: str, field_name: str) -> None:
    """Refuses (naming `field_name`) a warehouse the view does not know or that is inactive:
    an order naming it would wait there for good."""
    if found is None:
        raise InvalidOrder(field_name, f"unknown warehouse {code!r}")
    if not found.active:
        raise InvalidOrder(field_name, f"warehouse {code!r} is inactive")


def is_newer(sequence: int | None, applied: int | None) -> bool:
    """Whether an event numbered `sequence` moves an entry last set by `applied` forwards
    (unnumbered events are taken as they come)."""
    return sequence is None or applied is None or sequence > applied


def orderable(item: CatalogueItem | None, sku: str, field_name: str) -> CatalogueItem:
    """The item a line may be ordered for; refuses (naming `field_name`) an SKU the catalogue
    does not know or no longer sells."""
    if item is None:
        raise InvalidOrder(field_name, f"unknown SKU {sku!r}: the catalogue has no such item")
    if not item.active:
        raise InvalidOrder(field_name, f"SKU {sku!r} is inactive: it can no longer be ordered")
    return item
