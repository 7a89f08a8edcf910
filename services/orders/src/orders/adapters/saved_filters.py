"""Saved order filters on PostgreSQL (per owner)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from orders.adapters.rows import canonical_id, row_by_id
from orders.adapters.tables import saved_filters
from orders.service_layer.ports import SavedFilter
from servicekit.unit_of_work import SqlRepository


def _saved_filter(row: Row[Any]) -> SavedFilter:
    return SavedFilter(row.id, row.owner, row.name, row.query, row.created_at)


class SqlSavedFilterRepository(SqlRepository):
    async def add(self, saved: SavedFilter) -> bool:
        inserted = await self.session.execute(
            insert(saved_filters)
            .values(
                id=saved.id,
                owner=saved.owner,
                name=saved.name,
                query=saved.query,
                created_at=saved.created_at,
            )
            .on_conflict_do_nothing(constraint="uq_saved_filters_owner_name")
            .returning(saved_filters.c.id)
        )
        return inserted.first() is not None

    async def get(self, filter_id: str, owner: str) -> SavedFilter | None:
        row = await row_by_id(
            self.session, saved_filters, filter_id, saved_filters.c.owner == owner
        )
        return None if row is None else _saved_filter(row)

    async def of_owner(
        self, owner: str, *, limit: int, after: tuple[str, str] | None
    ) -> list[SavedFilter]:
        query = (
            select(saved_filters)
            .where(saved_filters.c.owner == owner)
            .order_by(saved_filters.c.name, saved_filters.c.id)
            .limit(limit)
        )
        if after is not None:
            name, last_id = after
            query = query.where(
                tuple_(saved_filters.c.name, saved_filters.c.id)
                > tuple_(
                    literal(name, saved_filters.c.name.type),
                    literal(last_id, saved_filters.c.id.type),
                )
            )
        return [_saved_filter(row) for row in await self.session.execute(query)]

    async def delete(self, filter_id: str, owner: str) -> bool:
        wanted = canonical_id(filter_id)
        if wanted is None:
            return False
        deleted = await self.session.execute(
            delete(saved_filters)
            .where(saved_filters.c.id == wanted, saved_filters.c.owner == owner)
            .returning(saved_filters.c.id)
        )
        return deleted.first() is not None
