"""The rows that point at stored files, as the file sweep reads and locks them."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from documents.adapters.statement_tables import statements
from documents.adapters.tables import documents
from documents.service_layer.sweeping import HeldKeys, Owner

_TABLES: dict[Owner, Table] = {Owner.DOCUMENTS: documents, Owner.STATEMENTS: statements}


class SqlStoredKeys:
    """Implements `service_layer.sweeping.StoredKeys` on the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hold(self, owner: Owner, ids: Collection[uuid.UUID]) -> HeldKeys:
        if not ids:
            return HeldKeys(current={}, busy=frozenset())
        table = _TABLES[owner]
        by_ids = table.c.id.in_(bindparam("ids", expanding=True))
        parameters = {"ids": list(ids)}
        # Locked first: a row committed in between counts as busy; the next round looks again.
        free = (
            select(table.c.id, table.c.storage_key).where(by_ids).with_for_update(skip_locked=True)
        )
        current = {row.id: row.storage_key for row in await self.session.execute(free, parameters)}
        existing = await self.session.scalars(select(table.c.id).where(by_ids), parameters)
        return HeldKeys(current=current, busy=frozenset(set(existing) - current.keys()))
