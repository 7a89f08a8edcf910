"""Reorder points in SQL (per product, and per SKU and warehouse), and the lock that makes
turning suggestions into drafts one at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import insert

from inventory.adapters.purchasing_tables import reorder_points, warehouse_reorder_points
from inventory.domain.purchasing import ReorderPoint
from servicekit.unit_of_work import SqlRepository

own = warehouse_reorder_points


def effective_point(sku: Any, warehouse: Any) -> Select[Any]:
    """The point (sku, reorder_point, reorder_quantity) of `sku` in `warehouse`: the
    warehouse's own, else the product's (at most one row)."""
    mine = select(own.c.sku, own.c.reorder_point, own.c.reorder_quantity, literal(0).label("rank"))
    general = select(
        reorder_points.c.sku,
        reorder_points.c.reorder_point,
        reorder_points.c.reorder_quantity,
        literal(1).label("rank"),
    )
    both = union_all(
        mine.where(own.c.sku == sku, own.c.warehouse == warehouse),
        general.where(reorder_points.c.sku == sku),
    ).subquery()
    return (
        select(both.c.sku, both.c.reorder_point, both.c.reorder_quantity)
        .order_by(both.c.rank)
        .limit(1)
    )


def point_column(level_sku: Any, level_warehouse: Any) -> ColumnElement[Any]:
    """The reorder point of a stock level's row (NULL: none), for joins: own, else product's."""
    return func.coalesce(
        select(own.c.reorder_point)
        .where(own.c.sku == level_sku, own.c.warehouse == level_warehouse)
        .scalar_subquery(),
        select(reorder_points.c.reorder_point)
        .where(reorder_points.c.sku == level_sku)
        .scalar_subquery(),
    )


class SqlReorderPointRepository(SqlRepository):
    async def set(self, point: ReorderPoint) -> None:
        values = {"reorder_point": point.reorder_point, "reorder_quantity": point.reorder_quantity}
        if point.warehouse is None:
            statement = (
                insert(reorder_points)
                .values(sku=point.sku, **values)
                .on_conflict_do_update(
                    index_elements=[reorder_points.c.sku], set_={**values, "updated_at": func.now()}
                )
            )
        else:
            statement = (
                insert(own)
                .values(sku=point.sku, warehouse=point.warehouse, **values)
                .on_conflict_do_update(
                    index_elements=[own.c.warehouse, own.c.sku],
                    set_={**values, "updated_at": func.now()},
                )
            )
        await self.session.execute(statement)

    async def remove(self, sku: str, warehouse: str | None) -> bool:
        if warehouse is None:
            statement = delete(reorder_points).where(reorder_points.c.sku == sku)
        else:
            statement = delete(own).where(own.c.sku == sku, own.c.warehouse == warehouse)
        removed = await self.session.execute(statement.returning(literal(1)))
        return removed.first() is not None

    async def all(self) -> list[ReorderPoint]:
        general = await self.session.execute(select(reorder_points))
        points = [ReorderPoint(r.sku, r.reorder_point, r.reorder_quantity) for r in general]
        mine = await self.session.execute(select(own))
        points += [
            ReorderPoint(r.sku, r.reorder_point, r.reorder_quantity, r.warehouse) for r in mine
        ]
        return sorted(points, key=lambda p: (p.sku, p.warehouse or ""))

    async def lock_drafting(self) -> None:
        # Held until the transaction ends: two "draft the suggestions" at once would both see
        # nothing on order yet and draft the same purchase twice.
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('inventory.purchase_suggestions'))")
        )
