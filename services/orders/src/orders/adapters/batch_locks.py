"""The locks a consumed batch takes first, in one order, so that two batches never deadlock.

Each handler locks its order when it comes to it (`FOR UPDATE`). Two batches consumed side by
side (one from inventory.events, one from documents.events) about the same orders in another
order would each wait for the other, and PostgreSQL would cancel one: the whole batch rolled
back and handled again one event at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeGuard

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
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
    ids = sorted({event.subject for event in events if _is_uuid(event.subject)})
    if len(ids) > 1:  # one order: its handler's own lock comes first anyway
        await session.execute(_LOCK_IN_ORDER, {"ids": ids})


def _is_uuid(value: str | None) -> TypeGuard[str]:
    if value is None:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
