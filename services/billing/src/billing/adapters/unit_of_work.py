"""The unit of work on one database session: the invoices and the outbox.

The transaction belongs to the caller (the consumer for an event, the HTTP dependency for a
request), so a state change and the outbox rows of its events commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.invoices_repository import SqlInvoiceRepository
from billing.adapters.tables import metadata
from contracts import CloudEvent
from servicekit.outbox import add_to_outbox


class SqlUnitOfWork:
    """The invoices and the outbox of one database session (its transaction is the caller's)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.invoices = SqlInvoiceRepository(session)
        self._outbox = metadata.tables["outbox"]

    async def record(self, event: CloudEvent[Any]) -> None:
        await add_to_outbox(self.session, self._outbox, event)
