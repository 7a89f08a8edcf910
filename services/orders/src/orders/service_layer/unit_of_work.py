"""The unit of work the use cases run in: repositories, number counters, outbox and timeline.

The SQL implementation (adapters/unit_of_work.py) works inside the caller's transaction; the
unit tests use an in-memory fake. Whatever a use case writes here commits or rolls back together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from contracts import CloudEvent
from orders.domain.order import Order
from orders.service_layer.ports import (
    AddressRepository,
    AttachmentRepository,
    CatalogueRepository,
    ContactRepository,
    CustomerGroupRepository,
    CustomerRepository,
    OpportunityRepository,
    OrderRepository,
    PriceListRepository,
    QuoteRepository,
    SavedFilterRepository,
    StageRepository,
)


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    type: str
    source: str
    event_id: str
    summary: str
    actor: str | None
    data: dict[str, Any]
    sequence: int | None = None  # the event's per-subject number from its producer, if any
    stale: bool = False  # received after a newer event of its producer: recorded, not applied


class UnitOfWork(Protocol):
    # Read-only members: an implementation may hold its own repository classes.
    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def addresses(self) -> AddressRepository: ...

    @property
    def customer_groups(self) -> CustomerGroupRepository: ...

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def attachments(self) -> AttachmentRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def quotes(self) -> QuoteRepository: ...

    @property
    def opportunities(self) -> OpportunityRepository: ...

    @property
    def stages(self) -> StageRepository: ...

    @property
    def saved_filters(self) -> SavedFilterRepository: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def price_lists(self) -> PriceListRepository: ...

    @property
    def catalogue_required(self) -> bool:
        """Whether order lines must name an item the catalogue view knows."""
        ...

    @property
    def tax_rates(self) -> Mapping[str, Decimal]:
        """The tax rate of each tax category, for lines that give none."""
        ...

    async def read_ahead_for_new_order(
        self, customer_id: str | None, skus: Collection[str]
    ) -> None:
        """Read the customer and the catalogue items a new order names, in one round trip where
        the store can: `customers.get` and `catalogue.items` of them are then answered from
        what was read (a store may do nothing here)."""
        ...

    async def next_order_sequence(self, year: int) -> int:
        """Take the next number of the year's counter, at once: work that rolls back afterwards
        leaves a gap (ADR 32)."""
        ...

    async def take_order_numbers_ahead(self, year: int, count: int) -> None:
        """Take `count` numbers of the year at once, for orders about to be created one after
        the other in this unit of work: `next_order_sequence` hands them out in turn. Those
        left when it ends are gaps."""
        ...

    async def next_quote_sequence(self, year: int) -> int:
        """The same for quotes, with a counter of their own."""
        ...

    async def record(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
        key: str | None = None,
        saving: Order | None = None,
        adding: Order | None = None,
    ) -> None:
        """Record an event of ours in the outbox and on the order's (or quote's) timeline;
        `key` (default: the order or quote id) keys and numbers an event about neither.

        `saving`: first save this order's header (`orders.save(saving)`); `adding`: first add
        this new order (`orders.add(adding)`); a store may do either in the same round trip."""
        ...

    async def note_received(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
        stale: bool = False,
        saving: Order | None = None,
        lines: bool = False,
    ) -> None:
        """Put an event from elsewhere on the order's (or quote's) timeline, once per event id
        (`stale`: it was overtaken by a newer event of its producer and changed nothing).

        `saving`: first save this order (`orders.save(saving, lines=lines)`), whether or not
        the event was booked before; a store may do both in one round trip."""
        ...

    async def note(
        self,
        type: str,
        *,
        summary: str,
        data: dict[str, Any],
        order_id: str | None = None,
        quote_id: str | None = None,
        customer_id: str | None = None,
    ) -> None:
        """Put a fact only this service knows (not an event on the bus) on the timeline (of an
        order, a quote or a customer)."""
        ...

    async def timeline(
        self,
        order_id: str | None = None,
        *,
        quote_id: str | None = None,
        customer_id: str | None = None,
    ) -> list[TimelineEntry]:
        """The order's (quote's, customer's) timeline by event time, then by recording order."""
        ...

    async def has_entry(
        self,
        type: str,
        match: dict[str, str],
        *,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> bool:
        """Whether the timeline has an entry of `type` whose data has the `match` values."""
        ...
