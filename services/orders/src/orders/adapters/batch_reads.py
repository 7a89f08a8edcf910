"""What a consumed batch reads first, before its handlers run: the orders its events are about,
locked in one order (so that two batches never deadlock) and read ahead in two statements.

Each handler would otherwise lock and read its order when it comes to it: two statements per
event, and two batches consumed side by side (one from inventory.events, one from
documents.events) about the same orders in another order would each wait for the other, and
PostgreSQL would cancel one (the whole batch rolled back and handled again one event at a time).

Orders submitted by other systems are about no order yet: for those, the batch asks in one
statement which of their external references an order already has, in another for the
customers of their e-mails and in a third for the catalogue items their lines name, which each
submission would otherwise look up on its own. It takes the numbers of the orders they will
create in one more (each create would take its own, with a commit of its own: the batch's
handlers run one after the other, so nothing gathers them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import OrderSubmitted
from orders.adapters.catalogue import SqlCatalogueRepository
from orders.adapters.customers import SqlCustomerRepository
from orders.adapters.orders import SqlOrderRepository
from orders.adapters.rows import canonical_id
from orders.adapters.unit_of_work import take_order_numbers_ahead


async def read_orders_of(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
    """Lock and read ahead the orders the events are about (their subjects), in id order; for
    submitted orders, which references are taken, who the customers are and the items their
    lines name, and the numbers of the orders they will create."""
    ids = sorted(
        {order_id for event in events if (order_id := canonical_id(event.subject)) is not None}
    )
    if ids:
        await SqlOrderRepository(session).read_ahead(ids)
    submitted = [event.data for event in events if isinstance(event.data, OrderSubmitted)]
    if submitted:
        absent = await SqlOrderRepository(session).absent_references(
            [data.external_reference for data in submitted]
        )
        if len(absent) > 1:  # for one, its own number costs the same
            await take_order_numbers_ahead(session, datetime.now(UTC).year, len(absent))
        await SqlCustomerRepository(session).read_ahead_by_email(
            [data.customer.email for data in submitted]
        )
        await SqlCatalogueRepository(session).read_ahead_items(
            {line.sku for data in submitted for line in data.lines}
        )
