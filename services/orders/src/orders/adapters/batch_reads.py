"""What a consumed batch reads first, before its handlers run: the orders its events are about,
locked in one order (so that two batches never deadlock) and read ahead in two statements.

Each handler would otherwise lock and read its order when it comes to it: two statements per
event, and two batches consumed side by side (one from inventory.events, one from
documents.events) about the same orders in another order would each wait for the other, and
PostgreSQL would cancel one (the whole batch rolled back and handled again one event at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.orders import SqlOrderRepository
from orders.adapters.rows import canonical_id


async def read_orders_of(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Lock and read ahead the orders the events are about (their subjects), in id order."""
    ids = sorted(
        {order_id for event in events if (order_id := canonical_id(event.subject)) is not None}
    )
    if ids:
        await SqlOrderRepository(session).read_ahead(ids)
