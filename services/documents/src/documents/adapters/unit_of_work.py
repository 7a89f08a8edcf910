"""The SQL unit of work: the repositories and the outbox on the caller's session.

The caller owns the transaction (the event consumer, an HTTP view or the e-mail sender opens
it), so the rows and the events they cause commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from documents.adapters.repositories.documents import (
    ADDING_NEW,
    SqlDocumentRepository,
    adding_parameters,
)
from documents.adapters.repositories.emails import SqlEmailRepository
from documents.adapters.repositories.notification_preferences import SqlNotificationPreferences
from documents.adapters.repositories.order_snapshots import SqlOrderSnapshotRepository
from documents.adapters.repositories.statements import SqlStatementRepository
from documents.adapters.repositories.templates import SqlTemplateRepository
from documents.adapters.tables import metadata
from documents.domain.model import Document
from servicekit.unit_of_work import SqlUnitOfWorkBase


class SqlUnitOfWork(SqlUnitOfWorkBase):
    """Implements `service_layer.unit_of_work.UnitOfWork`; the caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, metadata)
        self.documents = SqlDocumentRepository(session)
        self.templates = SqlTemplateRepository(session)
        self.emails = SqlEmailRepository(session)
        self.notification_preferences = SqlNotificationPreferences(session)
        self.statements = SqlStatementRepository(session)
        self.order_snapshots = SqlOrderSnapshotRepository(session)

    async def add_new_and_record(
        self, document: Document, event: CloudEvent[Any], *, key: str | None = None
    ) -> bool:
        """`documents.add(document)` and `record(event, key=key)` in one statement, unless a
        document of its kind and number is there already: then neither (False)."""
        added = await self.write_and_record_if_written(
            ADDING_NEW, adding_parameters(document), event, key=key
        )
        if added is None:
            return False
        document.created_at, document.updated_at = added.created_at, added.updated_at
        return True
