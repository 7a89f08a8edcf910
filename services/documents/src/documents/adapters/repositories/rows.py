"""What the repositories share: reading one row, inserting and updating a row with its
timestamps set by the database, and keyset pages (oldest first, resuming after (created_at, id))."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Insert, RowMapping, Select, Table, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from documents.service_layer.unit_of_work import Position

T = TypeVar("T")


class Stamped(Protocol):
    """A stored object: its id, and the times the database set."""

    id: uuid.UUID
    created_at: datetime | None
    updated_at: datetime | None


async def first(
    session: AsyncSession,
    query: Select[Any],
    read: Callable[[RowMapping], T],
    parameters: Mapping[str, Any] | None = None,
) -> T | None:
    """The query's first row (with these values of its parameters) through `read`, or None."""
    row = (await session.execute(query, parameters)).mappings().first()
    return read(row) if row else None


async def insert(
    session: AsyncSession, table: Table, item: Stamped, values: Mapping[str, Any]
) -> None:
    """Insert `item`'s row; its `created_at` and `updated_at` come back from the database."""
    row = (await session.execute(_stamped_insert(table), {"id": item.id, **values})).one()
    item.created_at, item.updated_at = row.created_at, row.updated_at


@cache  # built once per table: building it for every row cost more than sending it
def _stamped_insert(table: Table) -> Insert:
    """The insert of a row (its values as parameters) giving back its timestamps."""
    return table.insert().returning(table.c.created_at, table.c.updated_at)


async def update(
    session: AsyncSession, table: Table, item: Stamped, values: Mapping[str, Any]
) -> None:
    """Change `values` in `item`'s row and stamp it; `updated_at` comes back."""
    row = (
        await session.execute(
            table.update()
            .where(table.c.id == item.id)
            .values(**values, updated_at=func.now())
            .returning(table.c.updated_at)
        )
    ).one()
    item.updated_at = row.updated_at


def page_of(table: Table, after: Position | None, limit: int) -> Select[tuple[object, ...]]:
    """`limit` rows of `table` in creation order, after the position given (if any)."""
    query = select(table).order_by(table.c.created_at, table.c.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(table.c.created_at, table.c.id) > tuple_(*after))
    return query
