"""What a consumed batch reads first, before its handlers run: the orders its events are about,
locked in one order (so that two batches never deadlock) and read ahead in two statements.

Each handler would otherwise lock and read its order when it comes to it: two statements per
event, and two batches consumed side by side (one from inventory.events, one from
documents.events) about the same orders in another order would each wait for the other, and
PostgreSQL would cancel one (the whole batch rolled back and handled again one event at a time).

Orders submitted by other systems are about no order yet: for those, the batch asks in one
statement which of their external references an order already has, and in another for the
customers of their e-mails, which each submission would otherwise look up on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import OrderSubmitted
from orders.adapters.customers import SqlCustomerRepository
from orders.adapters.orders import SqlOrderRepository
from orders.adapters.rows import canonical_id


async def read_orders_of(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Lock and read ahead the orders the events are about (their subjects), in id order; for
    submitted orders, which references are taken and who the customers are."""
    ids = sorted(
        {order_id for event in events if (order_id := canonical_id(event.subject)) is not None}
    )
    if ids:
        await SqlOrderRepository(session).read_ahead(ids)
    submitted = [event.data for event in events if isinstance(event.data, OrderSubmitted)]
    if submitted:
        await SqlOrderRepository(session).read_ahead_references(
            [data.external_reference for data in submitted]
        )
        await SqlCustomerRepository(session).read_ahead_by_email(
            [data.customer.email for data in submitted]
        )
