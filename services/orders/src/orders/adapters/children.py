"""What orders and quotes both keep as child rows of their own: lines and documents.

`owner` names the table's column holding the order's (or quote's) id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.rows import line_from_row, line_values
from orders.domain.content import Line
from servicekit.db import insert_new_rows

Child = TypeVar("Child")


async def insert_lines(
    session: AsyncSession, table: Table, owner: str, owner_id: str, lines: Sequence[Line]
) -> None:
    if lines:
        await session.execute(
            table.insert(), [line_values(owner, owner_id, line, table) for line in lines]
        )


async def replace_lines(
    session: AsyncSession, table: Table, owner: str, owner_id: str, lines: Sequence[Line]
) -> None:
    await session.execute(delete(table).where(table.c[owner] == owner_id))
    await insert_lines(session, table, owner, owner_id, lines)


async def lines_of(
    session: AsyncSession, table: Table, owner: str, ids: Sequence[str]
) -> dict[str, list[Line]]:
    """The lines of each owner, by line number."""
    return await _children_of(session, table, owner, ids, "line_no", line_from_row)


async def add_documents(
    session: AsyncSession,
    table: Table,
    owner: str,
    owner_id: str,
    documents: Sequence[Any],
    stored: Collection[str] = (),
) -> None:
    """Store the documents not stored yet (a document keeps its first position); those whose
    ids are in `stored` are known to be stored and not sent again."""
    new = [
        {owner: owner_id, "position": position, **asdict(document)}
        for position, document in enumerate(documents)
        if document.document_id not in stored
    ]
    await insert_new_rows(session, table, new)


async def documents_of(
    session: AsyncSession,
    table: Table,
    owner: str,
    ids: Sequence[str],
    document: Callable[[Row[Any]], Child],
) -> dict[str, list[Child]]:
    """The documents of each owner, in the order they were added."""
    return await _children_of(session, table, owner, ids, "position", document)


async def _children_of(
    session: AsyncSession,
    table: Table,
    owner: str,
    ids: Sequence[str],
    order_by: str,
    child: Callable[[Row[Any]], Child],
) -> dict[str, list[Child]]:
    found: dict[str, list[Child]] = defaultdict(list)
    column = table.c[owner]
    for row in await session.execute(
        select(table).where(column.in_(ids)).order_by(column, table.c[order_by])
    ):
        found[getattr(row, owner)].append(child(row))
    return found
