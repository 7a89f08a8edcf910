"""The unit of work on PostgreSQL: the repositories, counters, outbox and timeline on the
caller's session. The caller (an HTTP dependency or the consumer) owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.customers import SqlAddressRepository, SqlCustomerRepository
from orders.adapters.opportunities import SqlOpportunityRepository
from orders.adapters.orders import SqlOrderRepository
from orders.adapters.quotes import SqlQuoteRepository
from orders.adapters.saved_filters import SqlSavedFilterRepository
from orders.adapters.stages import SqlStageRepository
from orders.adapters.tables import metadata, order_number_counters, quote_number_counters
from orders.adapters.timeline import SqlTimeline
from servicekit.auth import current_actor
from servicekit.outbox import add_to_outbox


class SqlUnitOfWork(SqlTimeline):
    """Repositories and messaging tables on one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = SqlCustomerRepository(session)
        self.addresses = SqlAddressRepository(session)
        self.orders = SqlOrderRepository(session)
        self.quotes = SqlQuoteRepository(session)
        self.opportunities = SqlOpportunityRepository(session)
        self.stages = SqlStageRepository(session)
        self.saved_filters = SqlSavedFilterRepository(session)

    async def _next(self, counters: Table, year: int) -> int:
        # The upsert locks the year's row until commit: concurrent inserts queue here, and a
        # rollback releases the number for the next one.
        statement = (
            insert(counters)
            .values(year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[counters.c.year],
                set_={"last_value": counters.c.last_value + 1},
            )
            .returning(counters.c.last_value)
        )
        value: int = (await self.session.execute(statement)).scalar_one()
        return value

    async def next_order_sequence(self, year: int) -> int:
        return await self._next(order_number_counters, year)

    async def next_quote_sequence(self, year: int) -> int:
        return await self._next(quote_number_counters, year)

    async def record(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> None:
        if event.actor is None and (actor := current_actor()) is not None:
            event = event.model_copy(update={"actor": actor})  # the person behind the request
        key = order_id or quote_id
        await add_to_outbox(self.session, metadata.tables["outbox"], event, key=key)
        await self.note_received(event, summary=summary, order_id=order_id, quote_id=quote_id)
