"""The handler of orders' milestone events: the order's owner e-mailed, if orders named one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import OrderMilestone
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.service_layer.notifications import queue_notification


async def handle_order_milestone(event: CloudEvent[OrderMilestone], session: AsyncSession) -> None:
    """Queue the notification in the e-mail outbox; the sender delivers it after the commit."""
    await queue_notification(
        SqlUnitOfWork(session), event.type, event.data, correlation_id=event.correlationid
    )
