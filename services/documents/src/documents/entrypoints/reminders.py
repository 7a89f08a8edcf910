"""The handler of billing's dunning events: the invoice e-mailed again with the level's text."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import DunningLevelReached
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.service_layer.reminders import queue_reminder


async def handle_dunning_level_reached(
    event: CloudEvent[DunningLevelReached], session: AsyncSession
) -> None:
    """Queue the reminder in the e-mail outbox; the sender delivers it after the commit."""
    await queue_reminder(SqlUnitOfWork(session), event.data, correlation_id=event.correlationid)
