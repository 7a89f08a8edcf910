"""The locks a consumed batch takes first, in one order, so that two batches never deadlock.

Each handler locks its order when it comes to it (`FOR UPDATE`). Two batches consumed side by
side (one from inventory.events, one from documents.events) about the same orders in another
order would each wait for the other, and PostgreSQL would cancel one: the whole batch rolled
back and handled again one event at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.rows import canonical_id
from orders.adapters.tables import orders

# Rows are locked as the sorted result comes out, so every batch takes them in id order.
_LOCK_IN_ORDER = (
    select(orders.c.id)
    .where(orders.c.id == bindparam("ids", type_=ARRAY(UUID(as_uuid=False))).any_())
    .order_by(orders.c.id)
    .with_for_update()
)


async def lock_orders_of(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Lock the orders the events are about (their subjects), in id order."""
    ids = sorted(
        {order_id for event in events if (order_id := canonical_id(event.subject)) is not None}
    )
    if len(ids) > 1:  # one order: its handler's own lock comes first anyway
        await session.execute(_LOCK_IN_ORDER, {"ids": ids})
