"""Reorder points in SQL, and the lock that makes turning suggestions into drafts one at a time."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from inventory.adapters.purchasing_tables import reorder_points
from inventory.domain.purchasing import ReorderPoint
from servicekit.unit_of_work import SqlRepository


class SqlReorderPointRepository(SqlRepository):
    async def set(self, point: ReorderPoint) -> None:
        values = {"reorder_point": point.reorder_point, "reorder_quantity": point.reorder_quantity}
        await self.session.execute(
            insert(reorder_points)
            .values(sku=point.sku, **values)
            .on_conflict_do_update(
                index_elements=[reorder_points.c.sku], set_={**values, "updated_at": func.now()}
            )
        )

    async def all(self) -> list[ReorderPoint]:
        rows = await self.session.execute(select(reorder_points).order_by(reorder_points.c.sku))
        return [ReorderPoint(r.sku, r.reorder_point, r.reorder_quantity) for r in rows]

    async def lock_drafting(self) -> None:
        # Held until the transaction ends: two "draft the suggestions" at once would both see
        # nothing on order yet and draft the same purchase twice.
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('inventory.purchase_suggestions'))")
        )
