"""Order demands and reservation lines in SQL.

Order demands are locked `FOR NO KEY UPDATE`, so the foreign keys of new reservation lines and
shipments (which take `FOR KEY SHARE`) never wait for them.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from inventory.adapters.rows import WarehouseRepository, record_of
from inventory.adapters.stock_levels import moved_levels
from inventory.adapters.tables import order_demands, reservation_lines
from inventory.domain.model import (
    Backorder,
    DemandStatus,
    LineStatus,
    ReservationLine,
)
from inventory.domain.records import OrderDemand, ReservationFilter, ReservationRecord
from inventory.service_layer.ports import Page
from servicekit.db import any_of, as_arrays, unnested, with_parts
from servicekit.outbox import numbered_outbox_insert_if


def _demand(row: Row[Any]) -> OrderDemand:
    return record_of(OrderDemand, row, status=DemandStatus(row.status))


def _line(row: Row[Any]) -> ReservationLine:
    return record_of(
        ReservationLine,
        row,
        shipped=row.shipped_quantity,
        released=row.released_quantity,
        backordered=row.status == LineStatus.BACKORDERED.value,
    )


# An order's demand claimed once (None when it was already), and a reservation line written
# back: statements built once (building them per call cost more than sending them). The claim
# names its values `demand_<column>` (`demand_parameters`): it is also a part of a statement.
_CLAIMED_COLUMNS = ("order_id", "number", "status", "correlation_id", "causation_id", "warehouse")
_CLAIM_DEMAND = (
    insert(order_demands)
    .values(
        {
            column: bindparam(f"demand_{column}", type_=order_demands.c[column].type)
            for column in _CLAIMED_COLUMNS
        }
    )
    .on_conflict_do_nothing(index_elements=[order_demands.c.order_id])
    .returning(order_demands.c.seq)
)

# Lines written back, as arrays (`saved_line_parameters`): one statement for any number.
_SAVED_LINE_COLUMNS = (
    "order_id",
    "warehouse",
    "sku",
    "shipped_quantity",
    "released_quantity",
    "status",
)


def lines_saved() -> Update:
    """The UPDATE that writes back reservation lines from `saved_line_parameters`' arrays (a
    part of a statement that writes no line otherwise)."""
    saved = unnested(reservation_lines, _SAVED_LINE_COLUMNS, "saved_line")
    line = reservation_lines.c
    return (
        update(reservation_lines)
        .where(
            line.order_id == saved.c.order_id,
            line.warehouse == saved.c.warehouse,
            line.sku == saved.c.sku,
        )
        .values(
            shipped_quantity=saved.c.shipped_quantity,
            released_quantity=saved.c.released_quantity,
            status=saved.c.status,
            updated_at=func.now(),
        )
    )


def saved_line_parameters(lines: Sequence[ReservationLine]) -> dict[str, list[Any]]:
    """The parameters of `lines_saved` for `lines` (each once)."""
    rows = (
        {
            "order_id": line.order_id,
            "warehouse": line.warehouse,
            "sku": line.sku,
            "shipped_quantity": line.shipped,
            "released_quantity": line.released,
            "status": line.status.value,
        }
        for line in lines
    )
    return as_arrays(rows, _SAVED_LINE_COLUMNS, "saved_line")


_SAVE_LINES = lines_saved()

# An order's reservation lines (the `order_id` parameter), in SKU order.
_LINES = (
    select(reservation_lines)
    .where(reservation_lines.c.order_id == bindparam("order_id"))
    .order_by(reservation_lines.c.sku)
)
_LINES_LOCKED = _LINES.with_for_update()


def demand_parameters(demand: OrderDemand, causation_id: str | None) -> dict[str, Any]:
    """The parameters of the claim of `demand` (`claim_demand`, `claiming_reservation`)."""
    return {
        "demand_order_id": demand.order_id,
        "demand_number": demand.number,
        "demand_status": demand.status.value,
        "demand_correlation_id": demand.correlation_id,
        "demand_causation_id": causation_id,
        "demand_warehouse": demand.warehouse,
    }


_LINE_COLUMNS = ("warehouse", "sku", "quantity")


def line_parameters(
    status: LineStatus, quantities: Mapping[str, Decimal], warehouses: Mapping[str, str]
) -> dict[str, Any]:
    """The parameters of `claiming_reservation`'s lines: a line per SKU of `quantities`, in the
    warehouse `warehouses` gives it."""
    lines = (
        {"warehouse": warehouses[sku], "sku": sku, "quantity": quantity}
        for sku, quantity in sorted(quantities.items())
    )
    return {"line_status": status.value, **as_arrays(lines, _LINE_COLUMNS, "line")}


def _marking_backorders_reserved() -> Select[Any]:
    served = bindparam("served_ids", type_=ARRAY(String())).any_()  # one array: any number
    lines = (
        update(reservation_lines)
        .where(
            reservation_lines.c.order_id == served,
            reservation_lines.c.status == LineStatus.BACKORDERED.value,
        )
        .values(
            status=LineStatus.RESERVED.value,
            warehouse=bindparam("served_warehouse", type_=String()),
            updated_at=func.now(),
        )
    )
    demands = (
        update(order_demands)
        .where(order_demands.c.order_id == served)
        .values(status=DemandStatus.RESERVED.value, updated_at=func.now())
    )
    # Each part writes a table the other neither writes nor reads.
    return with_parts(literal(True), {"lines_reserved": lines, "demands_reserved": demands})


_MARK_BACKORDERS_RESERVED = _marking_backorders_reserved()


@functools.cache
def claiming_reservation(outbox: Table, sequences: Table) -> Select[Any]:
    """One statement (built once) that claims an order's demand (`demand_parameters`) and,
    only if it claimed it now, saves its levels with their movements (`moved_parameters`), adds
    its lines (`line_parameters`) and records its event (`numbered_outbox_row`'s parameters).
    Its one row: the demand's `seq` if claimed now, else None.

    Each part writes a table no other part writes or reads; the lines' foreign key, checked at
    the statement's end, sees the demand it adds (ADR 42)."""
    claimed = _CLAIM_DEMAND.cte("demand_claimed")
    now = exists(claimed.select())
    save, ledger = moved_levels(now)
    rows = unnested(reservation_lines, _LINE_COLUMNS, "line")
    lines = reservation_lines.insert().from_select(
        ["order_id", *_LINE_COLUMNS, "status"],
        select(
            bindparam("demand_order_id", type_=reservation_lines.c.order_id.type),
            *(rows.c[column] for column in _LINE_COLUMNS),
            bindparam("line_status", type_=reservation_lines.c.status.type),
        ).where(now),
    )
    parts = {
        "levels_saved": save,
        "movements_added": ledger,
        "lines_added": lines,
        "recorded": numbered_outbox_insert_if(outbox, sequences, now),
    }
    claimed_now = select(claimed.c.seq).scalar_subquery().label("claimed")
    return with_parts(claimed_now, parts)


def _record(row: Row[Any]) -> ReservationRecord:
    return record_of(ReservationRecord, row, status=LineStatus(row.status))


class SqlReservationRepository(WarehouseRepository):
    # --- order demands ---------------------------------------------------------------------------

    async def claim_demand(self, demand: OrderDemand, *, causation_id: str | None) -> bool:
        claimed = await self.session.execute(_CLAIM_DEMAND, demand_parameters(demand, causation_id))
        return claimed.first() is not None

    async def lock_demand(self, order_id: str) -> OrderDemand | None:
        row = (
            await self.session.execute(
                select(order_demands)
                .where(order_demands.c.order_id == order_id)
                .with_for_update(key_share=True)
            )
        ).first()
        return _demand(row) if row is not None else None

    async def set_demand_status(self, order_id: str, status: DemandStatus) -> None:
        await self.session.execute(
            update(order_demands)
            .where(order_demands.c.order_id == order_id)
            .values(status=status.value, updated_at=func.now())
        )

    async def lock_backordered_demands(self, order_ids: Collection[str]) -> dict[str, OrderDemand]:
        if not order_ids:
            return {}
        rows = await self.session.execute(
            select(order_demands)
            .where(
                order_demands.c.order_id == any_of(sorted(order_ids), String()),
                order_demands.c.status == DemandStatus.BACKORDERED.value,
            )
            .order_by(order_demands.c.seq)
            .with_for_update(key_share=True)
        )
        return {row.order_id: _demand(row) for row in rows}

    # --- reservation lines -----------------------------------------------------------------------

    async def lines(self, order_id: str, *, for_update: bool = False) -> dict[str, ReservationLine]:
        query = _LINES_LOCKED if for_update else _LINES
        found = await self.session.execute(query, {"order_id": order_id})
        return {row.sku: _line(row) for row in found}

    async def add_lines(
        self,
        order_id: str,
        demand: Mapping[str, Decimal],
        status: LineStatus,
        warehouses: Mapping[str, str] | None = None,
    ) -> None:
        where = warehouses or {}
        await self.session.execute(
            reservation_lines.insert(),
            [
                {
                    "order_id": order_id,
                    "warehouse": where.get(sku, self.warehouse),
                    "sku": sku,
                    "quantity": amount,
                    "status": status.value,
                }
                for sku, amount in sorted(demand.items())
            ],
        )

    async def save_lines(self, lines: Sequence[ReservationLine]) -> None:
        if lines:
            await self.session.execute(_SAVE_LINES, saved_line_parameters(lines))

    async def drop_backordered_lines(self, order_id: str) -> None:
        await self.session.execute(
            reservation_lines.delete().where(
                reservation_lines.c.order_id == order_id,
                reservation_lines.c.status == LineStatus.BACKORDERED.value,
            )
        )

    async def mark_backorders_reserved(self, order_ids: Collection[str], warehouse: str) -> None:
        if order_ids:
            parameters = {"served_ids": sorted(order_ids), "served_warehouse": warehouse}
            await self.session.execute(_MARK_BACKORDERS_RESERVED, parameters)

    async def backorders_involving(
        self, skus: Collection[str], *, after: int | None = None, limit: int | None = None
    ) -> list[Backorder]:
        if not skus:
            return []
        waiting = (
            select(order_demands.c.order_id, order_demands.c.seq, order_demands.c.warehouse)
            .join(reservation_lines, reservation_lines.c.order_id == order_demands.c.order_id)
            .where(
                order_demands.c.status == DemandStatus.BACKORDERED.value,
                reservation_lines.c.status == LineStatus.BACKORDERED.value,
                reservation_lines.c.sku.in_(sorted(skus)),
            )
            .distinct()
            .order_by(order_demands.c.seq)
        )
        if after is not None:
            waiting = waiting.where(order_demands.c.seq > after)
        if limit is not None:
            waiting = waiting.limit(limit)
        queued = waiting.subquery()
        rows = await self.session.execute(
            select(queued.c.seq, reservation_lines.c.order_id, reservation_lines.c.sku)
            .add_columns(reservation_lines.c.quantity, queued.c.warehouse)
            .join(reservation_lines, reservation_lines.c.order_id == queued.c.order_id)
            .where(reservation_lines.c.status == LineStatus.BACKORDERED.value)
            .order_by(queued.c.seq, reservation_lines.c.sku)
        )
        demands: dict[str, dict[str, Decimal]] = {}
        named: dict[str, tuple[str | None, int]] = {}
        for seq, order_id, sku, amount, warehouse in rows:
            demands.setdefault(order_id, {})[sku] = amount
            named[order_id] = (warehouse, seq)
        return [
            Backorder(
                order_id=order_id,
                demand=demand,
                warehouse=named[order_id][0],
                place=named[order_id][1],
            )
            for order_id, demand in demands.items()
        ]

    async def skus_waited_with(self, skus: Collection[str]) -> set[str]:
        if not skus:
            return set()
        waiting = aliased(reservation_lines)
        rows = await self.session.execute(
            select(reservation_lines.c.sku)
            .distinct()
            .join(waiting, waiting.c.order_id == reservation_lines.c.order_id)
            .where(
                waiting.c.sku.in_(sorted(skus)),
                waiting.c.status == LineStatus.BACKORDERED.value,
                reservation_lines.c.status == LineStatus.BACKORDERED.value,
            )
        )
        return set(rows.scalars())

    async def page(
        self, where: ReservationFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[ReservationRecord]:
        query = (
            select(reservation_lines)
            .order_by(reservation_lines.c.order_id, reservation_lines.c.sku)
            .limit(limit + 1)
        )
        conditions = []
        if where.order_id is not None:
            conditions.append(reservation_lines.c.order_id == where.order_id)
        if where.sku is not None:
            conditions.append(reservation_lines.c.sku == where.sku)
        if where.status is not None:
            conditions.append(reservation_lines.c.status == where.status.value)
        if after is not None:
            conditions.append(
                tuple_(reservation_lines.c.order_id, reservation_lines.c.sku) > tuple_(*after)
            )
        if conditions:
            query = query.where(and_(*conditions))
        rows = (await self.session.execute(query)).all()
        return [_record(row) for row in rows[:limit]], len(rows) > limit
