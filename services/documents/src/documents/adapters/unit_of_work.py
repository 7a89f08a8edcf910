"""The SQL unit of work: the repositories and the outbox on the caller's session.

The caller owns the transaction (the event consumer, an HTTP view or the e-mail sender opens
it), so the rows and the events they cause commit together or not at all.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from documents.adapters.repositories.documents import (
    ADDING,
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
from servicekit.notify import notification, notification_due, notified
from servicekit.outbox import (
    NOTIFY_CHANNEL,
    numbered_outbox_insert,
    numbered_outbox_row,
    outbox_insert,
    outbox_row,
)
from servicekit.unit_of_work import SqlUnitOfWorkBase


@functools.cache  # per outbox, counters and notification: built once
def _adding_and_recording(outbox: Table, counters: Table | None, *, notify: bool) -> Select[Any]:
    """A new document's row (giving back its times) and an event in the outbox, in one
    statement; with `notify`, the relay woken at commit too."""
    added = ADDING.cte("added")
    record = outbox_insert(outbox) if counters is None else numbered_outbox_insert(outbox, counters)
    statement = select(added.c.created_at, added.c.updated_at, *([notification()] * notify))
    return statement.add_cte(record.cte("recorded"))


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

    async def add_and_record(
        self, document: Document, event: CloudEvent[Any], *, key: str | None = None
    ) -> None:
        """`documents.add(document)` and `record(event, key=key)`: one statement."""
        counters = self._numbering(event)
        row = outbox_row if counters is None else numbered_outbox_row
        parameters = adding_parameters(document) | row(event, key=key)
        notify = notification_due(self.session, NOTIFY_CHANNEL)
        if notify:
            parameters["channel"] = NOTIFY_CHANNEL
        statement = _adding_and_recording(self.outbox, counters, notify=notify)
        added = (await self.session.execute(statement, parameters)).one()
        if notify:
            notified(self.session, NOTIFY_CHANNEL)
        document.created_at, document.updated_at = added.created_at, added.updated_at
