"""What the use cases need from storage: repositories, the number counters, outbox and timeline.

The SQL implementation (adapters/repository.py) works inside the caller's transaction; the unit
tests use an in-memory fake. Whatever a use case writes here commits or rolls back together.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from contracts import CloudEvent
from orders.domain.addresses import CustomerAddress
from orders.domain.model import Billing, Customer, Fulfilment, Opportunity, Order, OrderStatus
from orders.domain.pipeline import Stage
from orders.domain.quote import OrderRef, Quote, QuoteStatus


class OrderSort(StrEnum):
    CREATED_AT = "created_at"
    ORDER_DATE = "order_date"
    NUMBER = "number"
    GROSS = "gross"


class Direction(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    fulfilment: Fulfilment | None = None
    billing: Billing | None = None
    customer_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    external_reference: str | None = None
    stage: str | None = None
    opportunity_id: str | None = None
    gross_min: Decimal | None = None
    gross_max: Decimal | None = None
    q: str | None = None  # part of the number, description or customer reference
    archived: bool = False  # False: active orders only; True: archived ones only
    sort: OrderSort = OrderSort.CREATED_AT
    direction: Direction = Direction.DESC


# Where a page ended: the sort column's value of the last order, and its id (the tie-breaker).
Position = tuple[Any, str]


@dataclass(frozen=True)
class QuoteFilters:
    status: QuoteStatus | None = None  # `expired` and `sent` as of `today`
    customer_id: str | None = None
    opportunity_id: str | None = None
    q: str | None = None
    today: date | None = None


@dataclass(frozen=True)
class SavedFilter:
    id: str
    owner: str
    name: str
    query: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    type: str
    source: str
    event_id: str
    summary: str
    actor: str | None
    data: dict[str, Any]


class CustomerRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, customer: Customer) -> None: ...

    @abc.abstractmethod
    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer | None: ...

    @abc.abstractmethod
    async def save(self, customer: Customer) -> None:
        """Store the customer's name, e-mail and default addresses."""

    @abc.abstractmethod
    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]: ...

    @abc.abstractmethod
    async def find_by_email(self, email: str) -> Customer | None:
        """The oldest customer with this e-mail address, compared case-insensitively."""

    @abc.abstractmethod
    async def search(
        self, *, q: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        """Customers by name then id, after the (name, id) position given."""


class AddressRepository(abc.ABC):
    @abc.abstractmethod
    async def of_customer(self, customer_id: str) -> list[CustomerAddress]:
        """Every address of the customer, oldest first."""

    @abc.abstractmethod
    async def get(self, address_id: str) -> CustomerAddress | None: ...

    @abc.abstractmethod
    async def save_all(
        self, customer_id: str, addresses: list[CustomerAddress], removed: set[str]
    ) -> None:
        """Store the customer's addresses as given, and delete the `removed` ones."""


class OrderRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, order: Order) -> None: ...

    @abc.abstractmethod
    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """The order (None if unknown); `for_update` locks it until the transaction ends."""

    @abc.abstractmethod
    async def save(self, order: Order, *, lines: bool = False) -> None:
        """Store the order's header, documents and shipments (and its lines if `lines`)."""

    @abc.abstractmethod
    async def find_by_external_reference(self, reference: str) -> Order | None: ...

    @abc.abstractmethod
    async def search(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[Order]:
        """Orders in the filters' sort order (id breaks ties), strictly after the position."""

    @abc.abstractmethod
    async def of_quote(self, quote_id: str) -> list[OrderRef]:
        """The orders converted from a quote, oldest first."""


class QuoteRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, quote: Quote) -> None: ...

    @abc.abstractmethod
    async def get(self, quote_id: str, *, for_update: bool = False) -> Quote | None: ...

    @abc.abstractmethod
    async def save(self, quote: Quote, *, lines: bool = False) -> None: ...

    @abc.abstractmethod
    async def search(
        self, filters: QuoteFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Quote]:
        """Newest first (created_at, id descending), strictly before the position given."""


class OpportunityRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, opportunity_id: str) -> Opportunity | None: ...

    @abc.abstractmethod
    async def upsert(self, opportunity: Opportunity) -> None:
        """Insert, or update its name and (when given) its customer."""


class StageRepository(abc.ABC):
    @abc.abstractmethod
    async def all(self) -> list[Stage]:
        """Every stage by position."""

    @abc.abstractmethod
    async def replace(self, stages: list[Stage]) -> None: ...


class SavedFilterRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, saved: SavedFilter) -> bool:
        """Store it; False when the owner already has a filter of that name."""

    @abc.abstractmethod
    async def get(self, filter_id: str, owner: str) -> SavedFilter | None: ...

    @abc.abstractmethod
    async def of_owner(
        self, owner: str, *, limit: int, after: tuple[str, str] | None
    ) -> list[SavedFilter]:
        """The owner's filters by name then id, after the (name, id) position given."""

    @abc.abstractmethod
    async def delete(self, filter_id: str, owner: str) -> bool: ...


class AbstractUnitOfWork(abc.ABC):
    customers: CustomerRepository
    addresses: AddressRepository
    orders: OrderRepository
    quotes: QuoteRepository
    opportunities: OpportunityRepository
    stages: StageRepository
    saved_filters: SavedFilterRepository

    @abc.abstractmethod
    async def next_order_sequence(self, year: int) -> int:
        """Take the next number of the year's counter (released again if the work rolls back)."""

    @abc.abstractmethod
    async def next_quote_sequence(self, year: int) -> int:
        """The same for quotes, with a counter of their own."""

    @abc.abstractmethod
    async def publish(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> None:
        """Put an event of ours in the outbox and on the order's (or quote's) timeline."""

    @abc.abstractmethod
    async def record(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> None:
        """Put an event from elsewhere on the order's (or quote's) timeline, once per event id."""

    @abc.abstractmethod
    async def note(
        self,
        type: str,
        *,
        summary: str,
        data: dict[str, Any],
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> None:
        """Put a fact only this service knows (not an event on the bus) on the timeline."""

    @abc.abstractmethod
    async def timeline(
        self, order_id: str | None = None, *, quote_id: str | None = None
    ) -> list[TimelineEntry]:
        """The order's (or quote's) timeline by event time, then by the order it was recorded."""

    @abc.abstractmethod
    async def has_entry(
        self,
        type: str,
        match: dict[str, str],
        *,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> bool:
        """Whether the timeline has an entry of `type` whose data has the `match` values."""
