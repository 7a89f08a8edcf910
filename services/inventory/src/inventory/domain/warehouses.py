"""Warehouses, the rule that picks where an order is reserved, and transfers between them.

Pure Python, like the rest of the domain: the service layer loads and locks, asks these rules,
and persists the outcome (ADR 25 records the reservation rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from inventory.domain.model import ZERO, DomainError, StockLevel, StockRuleViolation, tidy


@dataclass
class Warehouse:
    """A place that holds stock. `priority`: lower is tried first after the default one."""

    code: str
    name: str
    priority: int = 100
    is_default: bool = False
    active: bool = True
    created_at: datetime | None = None


class UnknownWarehouse(DomainError):
    def __init__(self, code: str, field: str = "warehouse") -> None:
        super().__init__(f"no warehouse {code!r}")
        self.code = code
        self.field = field


class WarehouseRefused(DomainError):
    """Deactivating a warehouse that holds stock (or the default one), using an inactive one."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"warehouse {code}: {message}")
        self.warehouse = code


def deactivation_refusal(
    warehouse: Warehouse, holding: Sequence[StockLevel], in_transit: Sequence[str] = ()
) -> str | None:
    """Why `warehouse` may not be deactivated (None: it may). `holding`: its levels;
    `in_transit`: the ids of the transfers on their way to it."""
    if not warehouse.active:
        return "it is inactive already"
    if warehouse.is_default:
        return "the default warehouse cannot be deactivated: make another one the default first"
    if in_transit:
        more = f" and {len(in_transit) - 3} more" if len(in_transit) > 3 else ""
        return (
            f"transfers are on their way to it ({', '.join(in_transit[:3])}{more}): "
            "receive them first"
        )
    stocked = [level for level in holding if level.on_hand > 0 or level.reserved > 0]
    if stocked:
        skus = ", ".join(f"{tidy(lv.on_hand)} {lv.sku}" for lv in stocked[:5])
        more = f" and {len(stocked) - 5} more" if len(stocked) > 5 else ""
        return f"it still holds stock ({skus}{more}): transfer or write it off first"
    return None


def default_refusal(warehouse: Warehouse) -> str | None:
    """Why `warehouse` may not become the default one (None: it may)."""
    if not warehouse.active:
        return "an inactive warehouse cannot be the default: reactivate it first"
    return None


# --- the reservation rule -----------------------------------------------------------------------


def candidates(warehouses: Sequence[Warehouse], named: str | None) -> list[str]:
    """The warehouses an order may be reserved from, in the order they are tried.

    An order that names a warehouse is reserved there only (none if it is unknown or
    inactive). Otherwise: the default warehouse first, then the other active ones by priority
    (lower first), then by code.
    """
    active = [w for w in warehouses if w.active]
    if named is not None:
        return [w.code for w in active if w.code == named]
    ranked = sorted(active, key=lambda w: (not w.is_default, w.priority, w.code))
    return [w.code for w in ranked]


Levels = Mapping[tuple[str, str], StockLevel]  # (warehouse, sku) → level


def _covers(levels: Levels, warehouse: str, sku: str, amount: Decimal) -> bool:
    level = levels.get((warehouse, sku))
    return level is not None and level.available >= amount


def allocate(
    demand: Mapping[str, Decimal], levels: Levels, order: Sequence[str], *, split: bool
) -> dict[str, str] | None:
    """Where each SKU of `demand` is reserved (SKU → warehouse), or None: it cannot be.

    The whole order comes from the first warehouse of `order` that covers every line. Only when
    `split` is allowed and no single warehouse covers it, each SKU comes whole from the first
    warehouse that covers that SKU (a SKU's quantity is never divided between warehouses).
    """
    for warehouse in order:
        if all(_covers(levels, warehouse, sku, q) for sku, q in demand.items()):
            return {sku: warehouse for sku in sorted(demand)}
    if not split:
        return None
    plan: dict[str, str] = {}
    for sku in sorted(demand):
        found = next((w for w in order if _covers(levels, w, sku, demand[sku])), None)
        if found is None:
            return None
        plan[sku] = found
    return plan


def best_available(
    demand: Mapping[str, Decimal], levels: Levels, order: Sequence[str]
) -> dict[str, Decimal]:
    """Per SKU, the most any one candidate warehouse has available (for a shortage report)."""
    best: dict[str, Decimal] = {}
    for sku in demand:
        found = [levels[(w, sku)].available for w in order if (w, sku) in levels]
        best[sku] = max([ZERO, *found])
    return best


# --- transfers ----------------------------------------------------------------------------------


class TransferStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"


@dataclass
class Transfer:
    """Stock on its way from one warehouse to another: it left the source when dispatched and
    is on hand at the destination once received."""

    id: str
    from_warehouse: str
    to_warehouse: str
    lines: dict[str, Decimal]
    status: TransferStatus = TransferStatus.IN_TRANSIT
    note: str | None = None
    created_at: datetime | None = None
    received_at: datetime | None = None

    def receive(self, now: datetime) -> None:
        if self.status is not TransferStatus.IN_TRANSIT:
            raise TransferRefused(self.id, f"it is already {self.status.value}")
        self.status = TransferStatus.RECEIVED
        self.received_at = now


class TransferRefused(DomainError):
    def __init__(self, transfer_id: str, message: str) -> None:
        super().__init__(f"transfer {transfer_id}: {message}")


def take_for_transfer(levels: Mapping[str, StockLevel], lines: Mapping[str, Decimal]) -> None:
    """Take every line from the source levels, or nothing: more than available → refused."""
    for sku in sorted(lines):
        level = levels.get(sku)
        available = level.available if level is not None else ZERO
        if lines[sku] > available:
            raise StockRuleViolation(
                sku, f"cannot transfer {tidy(lines[sku])}: {tidy(available)} available"
            )
    for sku in sorted(lines):
        levels[sku].on_hand -= lines[sku]
