"""Handlers of the events the inventory consumes (run by the kit: inbox, retries, dead letters)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import OrderCancelled, OrderConfirmed
from inventory.service_layer import reservations
from servicekit.consumer import PermanentError


async def handle_order_confirmed(event: CloudEvent[Any], session: AsyncSession) -> None:
    """Reserve the order's stocked lines all-or-none, or backorder it."""
    data = event.data
    if not isinstance(data, OrderConfirmed):
        raise PermanentError(f"expected an OrderConfirmed payload, got {type(data).__name__}")
    order = data.order
    await reservations.reserve_order(
        session,
        order_id=order.order_id,
        number=order.number,
        lines=[(line.sku, line.kind.value, line.quantity) for line in order.lines],
        cause=event,
    )


async def handle_order_cancelled(event: CloudEvent[Any], session: AsyncSession) -> None:
    """Release what the order still holds and drop its backorder."""
    data = event.data
    if not isinstance(data, OrderCancelled):
        raise PermanentError(f"expected an OrderCancelled payload, got {type(data).__name__}")
    await reservations.release_order(
        session, order_id=data.order_id, number=data.number, reason=data.reason, cause=event
    )
