"""A confirmed order was revised: what to reserve, release or leave waiting, per SKU.

Pure Python. The order's new demand (its product lines per SKU) is compared with what the
order is entitled to now (reserved or shipped, not released) plus what an earlier revision left
waiting. Per SKU:

- more is needed: it is reserved if the warehouse has it all available, otherwise the whole
  increase of that SKU waits for stock (the wait is retried when stock arrives);
- less is needed: a wait shrinks first, then the reservation is released down to the new
  quantity, never below what has shipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from inventory.domain.model import MAIN_WAREHOUSE, ZERO, ReservationLine, StockLevel


@dataclass(frozen=True)
class Wait:
    """Part of an order's demand for one SKU that a revision could not reserve yet."""

    order_id: str
    sku: str
    quantity: Decimal


@dataclass
class RevisionPlan:
    reserved: dict[str, Decimal] = field(default_factory=dict)
    released: dict[str, Decimal] = field(default_factory=dict)
    waiting: dict[str, Decimal] = field(default_factory=dict)  # everything waiting afterwards
    lines: dict[str, ReservationLine] = field(default_factory=dict)  # lines to write

    @property
    def fully_reserved(self) -> bool:
        return not self.waiting


def entitled(line: ReservationLine | None) -> Decimal:
    """What the order holds of a SKU: reserved or shipped, not released."""
    if line is None or line.backordered:
        return ZERO
    return line.quantity - line.released


def plan_revision(
    order_id: str,
    demand: Mapping[str, Decimal],
    lines: Mapping[str, ReservationLine],
    waits: Mapping[str, Decimal],
    levels: Mapping[str, StockLevel],
) -> RevisionPlan:
    """Apply the new `demand` to the `levels` (reserving, releasing) and say what changed.

    `lines` are the order's reservation lines, `waits` what earlier revisions left waiting;
    `levels` must hold every SKU of the three that has stock.
    """
    plan = RevisionPlan()
    for sku in sorted({*demand, *lines, *waits}):
        line = lines.get(sku)
        shipped = line.shipped if line is not None else ZERO
        wanted = max(demand.get(sku, ZERO), shipped)  # what left the warehouse stays counted
        need = wanted - entitled(line)
        level = levels.get(sku)
        if need > 0:
            if level is None or level.available < need:
                plan.waiting[sku] = need
                continue
            level.reserve(need)
            plan.reserved[sku] = need
            plan.lines[sku] = holding(order_id, sku, line, wanted)
        elif need < 0:
            if level is None:  # a reservation line always has its level
                raise LookupError(f"no stock level of {sku}")
            level.release(-need)
            plan.released[sku] = -need
            plan.lines[sku] = holding(order_id, sku, line, wanted)
    return plan


def holding(
    order_id: str,
    sku: str,
    line: ReservationLine | None,
    wanted: Decimal,
    warehouse: str = MAIN_WAREHOUSE,
) -> ReservationLine:
    """The order's line of `sku` holding `wanted` (reserved + shipped); a line cut to nothing
    is released (the row keeps its quantity, as a cancellation leaves it). A new line is in
    `warehouse`; an existing one stays where it is."""
    if line is None:
        return ReservationLine(order_id=order_id, sku=sku, quantity=wanted, warehouse=warehouse)
    if wanted == 0:
        released = ReservationLine(
            order_id,
            sku,
            line.quantity,
            line.shipped,
            line.released,
            line.backordered,
            warehouse=line.warehouse,
        )
        released.release_open()
        return released
    return ReservationLine(
        order_id=order_id,
        sku=sku,
        quantity=wanted,
        shipped=line.shipped,
        warehouse=line.warehouse,
    )


def fulfil_waits(
    waits: Iterable[Wait], levels: Mapping[str, StockLevel]
) -> list[tuple[Wait, StockLevel]]:
    """Reserve for the waits, oldest first, each whole or not at all; returns those reserved,
    each with a copy of its level as reserving it left it (what its ledger row tells).
    A wait that does not fit does not block a younger (smaller) one."""
    fulfilled = []
    for wait in waits:
        level = levels.get(wait.sku)
        if level is not None and level.available >= wait.quantity:
            level.reserve(wait.quantity)
            fulfilled.append((wait, replace(level)))
    return fulfilled
