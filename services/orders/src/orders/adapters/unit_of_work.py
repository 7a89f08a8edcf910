"""The unit of work on PostgreSQL: the repositories, counters, outbox and timeline on the
caller's session. The caller (an HTTP dependency or the consumer) owns the transaction."""

from __future__ import annotations

import functools
import itertools
import secrets
from collections import deque
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.attachments import SqlAttachmentRepository
from orders.adapters.catalogue import SqlCatalogueRepository
from orders.adapters.contacts import SqlContactRepository
from orders.adapters.customer_groups import SqlCustomerGroupRepository
from orders.adapters.customers import SqlAddressRepository, SqlCustomerRepository
from orders.adapters.imports import SqlExternalReferences
from orders.adapters.new_order_reads import read_ahead
from orders.adapters.opportunities import SqlOpportunityRepository
from orders.adapters.orders import SqlOrderRepository
from orders.adapters.price_lists import SqlPriceListRepository
from orders.adapters.quotes import SqlQuoteRepository
from orders.adapters.rows import canonical_id
from orders.adapters.saved_filters import SqlSavedFilterRepository
from orders.adapters.stages import SqlStageRepository
from orders.adapters.tables import (
    import_jobs,
    metadata,
    order_number_counters,
    quote_number_counters,
)
from orders.adapters.timeline import SqlTimeline
from orders.adapters.webhooks import SqlWebhookRepository
from orders.domain.order import Order
from servicekit.auth import current_actor
from servicekit.import_jobs import SqlImportJobs
from servicekit.numbering import next_in_year_at_once, numbers_in_year_at_once
from servicekit.outbox import numbered_outbox_row, outbox_row
from servicekit.unit_of_work import SqlUnitOfWorkBase, transaction_memo

# Order numbers taken together for orders about to be created one after the other (a consumed
# batch's submissions, a file's orders: `take_order_numbers_ahead`), by year: handed out in turn
# by `next_order_sequence`.
_ORDER_NUMBERS_AHEAD = "orders.order_numbers_ahead"


async def take_order_numbers_ahead(session: AsyncSession, year: int, count: int) -> None:
    """Take `count` order numbers of `year` in one statement, for the orders the transaction
    will create one after the other (each would otherwise take its own, a statement and a
    commit apiece). Those left unused when it ends are gaps, as a create that fails leaves one
    (ADR 32, 62)."""
    numbers = await numbers_in_year_at_once(session, order_number_counters, year, count)
    transaction_memo(session, _ORDER_NUMBERS_AHEAD).setdefault(year, deque()).extend(numbers)


class SqlUnitOfWork(SqlTimeline, SqlUnitOfWorkBase):
    """Repositories and messaging tables on one session; the caller owns the transaction."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        catalogue_required: bool = True,
        tax_rates: Mapping[str, Decimal] | None = None,
        provisional_numbers: bool = False,
    ) -> None:
        """`provisional_numbers`: for work that is always rolled back (an import's dry run),
        number new orders without taking numbers from the year's counter."""
        super().__init__(session, metadata)
        # From a random start far above any counter's numbers: two dry runs at once are most
        # unlikely to write the same number (the unique index would make one wait for the other).
        self._provisional = (
            itertools.count(secrets.randbelow(8 * 10**9) + 10**9) if provisional_numbers else None
        )
        self.tax_rates: Mapping[str, Decimal] = tax_rates or {}
        self.catalogue_required = catalogue_required
        self.customers = SqlCustomerRepository(session)
        self.orders = SqlOrderRepository(session, customer_rows=self.customers.known_rows)

    # The other repositories are made when first used: a consumer makes a unit of work for
    # every event, and most events touch orders alone (making all of them cost 1.6 % of the
    # instructions of applying one).

    @functools.cached_property
    def catalogue(self) -> SqlCatalogueRepository:
        return SqlCatalogueRepository(self.session)

    @functools.cached_property
    def price_lists(self) -> SqlPriceListRepository:
        return SqlPriceListRepository(self.session)

    @functools.cached_property
    def addresses(self) -> SqlAddressRepository:
        return SqlAddressRepository(self.session)

    @functools.cached_property
    def customer_groups(self) -> SqlCustomerGroupRepository:
        return SqlCustomerGroupRepository(self.session)

    @functools.cached_property
    def contacts(self) -> SqlContactRepository:
        return SqlContactRepository(self.session)

    @functools.cached_property
    def attachments(self) -> SqlAttachmentRepository:
        return SqlAttachmentRepository(self.session)

    @functools.cached_property
    def quotes(self) -> SqlQuoteRepository:
        return SqlQuoteRepository(self.session)

    @functools.cached_property
    def opportunities(self) -> SqlOpportunityRepository:
        return SqlOpportunityRepository(self.session)

    @functools.cached_property
    def stages(self) -> SqlStageRepository:
        return SqlStageRepository(self.session)

    @functools.cached_property
    def saved_filters(self) -> SqlSavedFilterRepository:
        return SqlSavedFilterRepository(self.session)

    @functools.cached_property
    def webhooks(self) -> SqlWebhookRepository:
        return SqlWebhookRepository(self.session)

    @functools.cached_property
    def references(self) -> SqlExternalReferences:
        return SqlExternalReferences(self.session)

    @functools.cached_property
    def import_jobs(self) -> SqlImportJobs:
        return SqlImportJobs(self.session, import_jobs)

    async def read_ahead_for_new_order(
        self, customer_id: str | None, skus: Collection[str]
    ) -> None:
        known_rows = self.customers.known_rows
        if (
            customer_id is None or canonical_id(customer_id) in known_rows
        ) and self.catalogue.knows(skus):
            return  # read already, with the rest of a consumed batch or of a file
        await read_ahead(self.session, self.customers, self.catalogue, customer_id, skus)

    async def next_order_sequence(self, year: int) -> int:
        # Committed at once (ADR 32): concurrent creates do not queue on the year's row until
        # they commit; a create that fails afterwards leaves a gap.
        if self._provisional is not None:
            return next(self._provisional)
        ahead: deque[int] | None = transaction_memo(self.session, _ORDER_NUMBERS_AHEAD).get(year)
        if ahead:
            return ahead.popleft()
        return await next_in_year_at_once(self.session, order_number_counters, year)

    async def take_order_numbers_ahead(self, year: int, count: int) -> None:
        if self._provisional is None:
            await take_order_numbers_ahead(self.session, year, count)

    async def next_quote_sequence(self, year: int) -> int:
        return await next_in_year_at_once(self.session, quote_number_counters, year)

    async def record(
        self,
        event: CloudEvent[Any],
        *,
        key: str | None = None,
        summary: str = "",
        order_id: str | None = None,
        quote_id: str | None = None,
        saving: Order | None = None,
        adding: Order | None = None,
    ) -> None:
        """Write the event to the outbox and put it on its order's (or quote's) timeline."""
        if event.actor is None and (actor := current_actor()) is not None:
            event = event.model_copy(update={"actor": actor})  # the person behind the request
        key = key or order_id or quote_id
        if order_id is None and quote_id is None:
            if adding is not None:
                await self.orders.add(adding)
            if saving is not None:
                await self.orders.save(saving)
            await super().record(event, key=key)
            return
        # The order saved, and the event numbered and written to the outbox, in the statement
        # that books it: one number on the timeline, in the outbox and in webhook deliveries.
        counters = self._numbering(event)
        recording = outbox_row if counters is None else numbered_outbox_row
        await self._book(
            event,
            summary=summary,
            order_id=order_id,
            quote_id=quote_id,
            saving=saving,
            adding=adding,
            recording=recording(event, key=key),
            numbered_by=counters,
        )
