"""Event handlers: what billing does when another service tells it something."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.model import UninvoiceableOrder
from billing.service_layer import invoicing
from contracts import CloudEvent
from contracts.events import OrderCompleted
from servicekit.consumer import PermanentError


async def handle_order_completed(event: CloudEvent[OrderCompleted], session: AsyncSession) -> None:
    """A completed order gets its invoice, dated today (UTC); a second delivery changes nothing."""
    order = event.data.order
    try:
        await invoicing.issue_invoice(
            SqlUnitOfWork(session), event, order, today=datetime.now(UTC).date()
        )
    except UninvoiceableOrder as exc:
        raise PermanentError(
            f"order {order.order_id} ({order.number}) cannot be invoiced: {exc}"
        ) from exc
