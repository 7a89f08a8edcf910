"""What the use cases need from storage: repositories, the number counter, outbox and timeline.

The SQL implementation (adapters/repository.py) works inside the caller's transaction; the unit
tests use an in-memory fake. Whatever a use case writes here commits or rolls back together.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts import CloudEvent
from orders.domain.model import Billing, Customer, Fulfilment, Order, OrderStatus


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    fulfilment: Fulfilment | None = None
    billing: Billing | None = None
    customer_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    external_reference: str | None = None


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
    async def get(self, customer_id: str) -> Customer | None: ...

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
        self, filters: OrderFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Order]:
        """Newest first (created_at, id descending), strictly before the position given."""


class AbstractUnitOfWork(abc.ABC):
    customers: CustomerRepository
    orders: OrderRepository

    @abc.abstractmethod
    async def next_order_sequence(self, year: int) -> int:
        """Take the next number of the year's counter (released again if the work rolls back)."""

    @abc.abstractmethod
    async def publish(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        """Put an event of ours in the outbox and on the order's timeline."""

    @abc.abstractmethod
    async def record(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        """Put an event from elsewhere on the order's timeline (once per event id)."""

    @abc.abstractmethod
    async def timeline(self, order_id: str) -> list[TimelineEntry]:
        """The order's timeline by event time, then by the order it was recorded in."""
