"""An in-memory unit of work: the use cases run against it exactly as against PostgreSQL."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from contracts import CloudEvent
from orders.domain.model import Customer, Order
from orders.service_layer.unit_of_work import (
    AbstractUnitOfWork,
    CustomerRepository,
    OrderFilters,
    OrderRepository,
    TimelineEntry,
)


class FakeCustomers(CustomerRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Customer] = {}

    async def add(self, customer: Customer) -> None:
        self.rows[customer.id] = copy.deepcopy(customer)

    async def get(self, customer_id: str) -> Customer | None:
        found = self.rows.get(customer_id)
        return copy.deepcopy(found)

    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]:
        return {i: copy.deepcopy(self.rows[i]) for i in customer_ids if i in self.rows}

    async def find_by_email(self, email: str) -> Customer | None:
        matches = [c for c in self.rows.values() if c.email.lower() == email.lower()]
        return copy.deepcopy(min(matches, key=lambda c: c.created_at)) if matches else None

    async def search(
        self, *, q: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        found = sorted(self.rows.values(), key=lambda c: (c.name, c.id))
        if q:
            found = [c for c in found if q.lower() in c.name.lower() or q.lower() in c.email]
        if after:
            found = [c for c in found if (c.name, c.id) > after]
        return found[:limit]


class FakeOrders(OrderRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Order] = {}

    async def add(self, order: Order) -> None:
        assert order.id not in self.rows
        if order.external_reference is not None:
            assert await self.find_by_external_reference(order.external_reference) is None
        self.rows[order.id] = copy.deepcopy(order)

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return copy.deepcopy(self.rows.get(order_id))

    async def save(self, order: Order, *, lines: bool = False) -> None:
        stored = copy.deepcopy(order)
        if not lines:
            stored.lines = self.rows[order.id].lines
        self.rows[order.id] = stored

    async def find_by_external_reference(self, reference: str) -> Order | None:
        for order in self.rows.values():
            if order.external_reference == reference:
                return copy.deepcopy(order)
        return None

    async def search(
        self, filters: OrderFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Order]:
        found = sorted(self.rows.values(), key=lambda o: (o.created_at, o.id), reverse=True)
        return found[:limit]


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self) -> None:
        self.customers = FakeCustomers()
        self.orders = FakeOrders()
        self.counters: dict[int, int] = {}
        self.outbox: list[CloudEvent[Any]] = []
        self.entries: list[tuple[str, TimelineEntry]] = []

    async def next_order_sequence(self, year: int) -> int:
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    async def publish(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        assert event.subject == order_id
        self.outbox.append(event)
        await self.record(event, order_id=order_id, summary=summary)

    async def record(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        if any(entry.event_id == event.id for _, entry in self.entries):
            return
        self.entries.append(
            (
                order_id,
                TimelineEntry(
                    occurred_at=event.time,
                    type=event.type,
                    source=event.source,
                    event_id=event.id,
                    summary=summary,
                    actor=event.actor,
                    data=event.data.model_dump(mode="json"),
                ),
            )
        )

    async def timeline(self, order_id: str) -> list[TimelineEntry]:
        mine = [(i, e) for i, (o, e) in enumerate(self.entries) if o == order_id]
        return [e for _, e in sorted(mine, key=lambda item: (item[1].occurred_at, item[0]))]

    def published_types(self) -> list[str]:
        return [event.type for event in self.outbox]


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
