"""Keyset pages shared by the repositories: oldest first, resuming after (created_at, id)."""

from __future__ import annotations

from sqlalchemy import Select, Table, select, tuple_

from documents.service_layer.unit_of_work import Position


def page_of(table: Table, after: Position | None, limit: int) -> Select[tuple[object, ...]]:
    """`limit` rows of `table` in creation order, after the position given (if any)."""
    query = select(table).order_by(table.c.created_at, table.c.id).limit(limit)
    if after is not None:
        query = query.where(tuple_(table.c.created_at, table.c.id) > tuple_(*after))
    return query
