"""An in-memory unit of work: the use cases run against it exactly as against PostgreSQL.

The service-layer unit tests run on it; `integration/test_repository_contract.py` runs the
same cases against it and against the SQL adapters on PostgreSQL, so it cannot drift from them.
It lives here, above `unit/` and `integration/`, so that both folders share the one fake and
the builders of `orders_builders`.
"""

from __future__ import annotations

import copy
import sys
import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import CloudEvent
from orders.domain.addresses import CustomerAddress
from orders.domain.attachments import StoredFile, Subject
from orders.domain.catalogue import (
    Availability,
    CatalogueItem,
    KnownWarehouse,
    StockAvailability,
    is_newer,
)
from orders.domain.contacts import Contact
from orders.domain.customer import Customer, CustomerGroup, Opportunity
from orders.domain.order import Order, OrderSummary
from orders.domain.pipeline import Stage
from orders.domain.price_lists import PriceList
from orders.domain.quote import OrderRef, Quote, QuoteStatus
from orders.service_layer.ports import (
    CustomerFilters,
    Direction,
    OrderFilters,
    OrderSort,
    Position,
    QuoteFilters,
    SavedFilter,
)
from orders.service_layer.unit_of_work import TimelineEntry, UnitOfWork

# Both test folders import `orders_builders` from here (pytest does not put test folders on the
# import path).
sys.path.insert(0, str(Path(__file__).parent))


def _contains(q: str, *texts: str | None) -> bool:
    """Like the SQL adapters' ILIKE '%q%': any text contains q, ignoring case."""
    return any(q.lower() in text.lower() for text in texts if text is not None)


def _sort_value(order: Order, sort: OrderSort) -> Any:
    values = {
        OrderSort.CREATED_AT: order.created_at,
        OrderSort.ORDER_DATE: order.order_date,
        OrderSort.NUMBER: order.number,
        OrderSort.GROSS: order.totals.gross,
    }
    return values[sort]


def _owned_matches(record: Customer | Order | Quote, f: Any) -> bool:
    """Like adapters.ownership: the owner and team filters, and what the viewer sees."""
    return (
        (f.owner is None or record.owner == f.owner)
        and (f.team is None or record.team == f.team)
        and f.viewer.sees(record.owner, record.team)
    )


def _order_matches(order: Order, f: OrderFilters) -> bool:
    opportunity_id = order.opportunity.id if order.opportunity else None
    gross = order.totals.gross
    equal = [
        (f.status, order.status),
        (f.fulfilment, order.fulfilment),
        (f.billing, order.billing),
        (f.customer_id, order.customer_id),
        (f.external_reference, order.external_reference),
        (f.stage, order.stage),
        (f.opportunity_id, opportunity_id),
    ]
    return (
        all(wanted is None or wanted == value for wanted, value in equal)
        and (f.date_from is None or order.order_date >= f.date_from)
        and (f.date_to is None or order.order_date <= f.date_to)
        and (
            f.promised_before is None
            or (
                order.promised_delivery_date is not None
                and order.promised_delivery_date < f.promised_before
            )
        )
        and (f.gross_min is None or gross >= f.gross_min)
        and (f.gross_max is None or gross <= f.gross_max)
        and (not f.q or _contains(f.q, order.number, order.description, order.customer_reference))
        and (order.archived_at is not None) == f.archived
        and _owned_matches(order, f)
    )


def _quote_matches(quote: Quote, f: QuoteFilters) -> bool:
    opportunity_id = quote.opportunity.id if quote.opportunity else None
    if f.status is QuoteStatus.EXPIRED:
        assert f.today is not None
        status_ok = quote.status is QuoteStatus.SENT and quote.valid_until < f.today
    elif f.status is QuoteStatus.SENT:
        assert f.today is not None
        status_ok = quote.status is QuoteStatus.SENT and quote.valid_until >= f.today
    else:
        status_ok = f.status is None or quote.status is f.status
    return (
        status_ok
        and (f.customer_id is None or quote.customer_id == f.customer_id)
        and (f.opportunity_id is None or opportunity_id == f.opportunity_id)
        and (not f.q or _contains(f.q, quote.number, quote.description, quote.customer_reference))
        and _owned_matches(quote, f)
    )


class FakeCustomers:
    def __init__(self) -> None:
        self.rows: dict[str, Customer] = {}
        self.named: Any = None  # whether an order or quote names a customer (set by the UoW)

    async def add(self, customer: Customer) -> None:
        self.rows[customer.id] = copy.deepcopy(customer)

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer | None:
        found = self.rows.get(customer_id)
        return copy.deepcopy(found)

    async def save(self, customer: Customer) -> None:
        self.rows[customer.id] = copy.deepcopy(customer)

    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]:
        return {i: copy.deepcopy(self.rows[i]) for i in customer_ids if i in self.rows}

    async def find_by_email(self, email: str) -> Customer | None:
        matches = [c for c in self.rows.values() if c.email.lower() == email.lower()]
        return copy.deepcopy(min(matches, key=lambda c: c.created_at)) if matches else None

    async def with_tax_id_or_email(
        self, tax_id: str | None, email: str | None, *, besides: str | None = None
    ) -> list[Customer]:
        found = [
            c
            for c in self.rows.values()
            if c.id != besides
            and ((tax_id and c.tax_id == tax_id) or (email and c.email.lower() == email.lower()))
        ]
        return copy.deepcopy(sorted(found, key=lambda c: c.created_at))

    async def has_orders(self, customer_id: str) -> bool:
        return bool(self.named is not None and self.named(customer_id))

    async def delete(self, customer_id: str) -> None:
        self.rows.pop(customer_id, None)

    async def search(
        self, filters: CustomerFilters, *, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        found = sorted(self.rows.values(), key=lambda c: (c.name, c.id))
        if filters.q:
            found = [c for c in found if _contains(filters.q, c.name, c.email)]
        found = [
            c
            for c in found
            if _owned_matches(c, filters)
            and (filters.group is None or c.group == filters.group)
            and (c.archived_at is not None) == filters.archived
        ]
        if after:
            found = [c for c in found if (c.name, c.id) > after]
        return found[:limit]


class FakeCustomerGroups:
    def __init__(self, customers: FakeCustomers) -> None:
        self.rows: dict[str, CustomerGroup] = {}
        self.customers = customers

    async def add(self, group: CustomerGroup) -> bool:
        if group.code in self.rows:
            return False
        self.rows[group.code] = group
        return True

    async def get(self, code: str, *, for_update: bool = False) -> CustomerGroup | None:
        return self.rows.get(code)

    async def all(self) -> list[CustomerGroup]:
        return sorted(self.rows.values(), key=lambda g: g.code)

    async def save(self, group: CustomerGroup) -> None:
        self.rows[group.code] = group

    async def in_use(self, code: str) -> bool:
        return any(c.group == code for c in self.customers.rows.values())

    async def delete(self, code: str) -> None:
        self.rows.pop(code, None)


class FakeAttachments:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[StoredFile, bytes]] = {}

    async def add(self, stored: StoredFile, content: bytes) -> None:
        self.rows[stored.id] = (stored, content)

    async def of_subject(self, subject: Subject, subject_id: str) -> list[StoredFile]:
        mine = [
            f for f, _ in self.rows.values() if (f.subject, f.subject_id) == (subject, subject_id)
        ]
        return sorted(mine, key=lambda f: (f.created_at, f.id))

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        return self.rows.get(file_id)

    async def delete(self, file_id: str) -> None:
        self.rows.pop(file_id, None)


class FakeContacts:
    def __init__(self) -> None:
        self.rows: dict[str, Contact] = {}

    async def of_customer(self, customer_id: str) -> list[Contact]:
        mine = [c for c in self.rows.values() if c.customer_id == customer_id]
        return copy.deepcopy(sorted(mine, key=lambda c: (c.name, c.id)))

    async def get(self, contact_id: str) -> Contact | None:
        return copy.deepcopy(self.rows.get(contact_id))

    async def save(self, contact: Contact) -> None:
        self.rows[contact.id] = copy.deepcopy(contact)

    async def delete(self, contact_id: str) -> None:
        self.rows.pop(contact_id, None)


class FakeAddresses:
    def __init__(self) -> None:
        self.rows: dict[str, CustomerAddress] = {}

    async def of_customer(self, customer_id: str) -> list[CustomerAddress]:
        mine = [a for a in self.rows.values() if a.customer_id == customer_id]
        return sorted(mine, key=lambda a: (a.created_at, a.id))

    async def get(self, address_id: str) -> CustomerAddress | None:
        return self.rows.get(address_id)

    async def save_all(
        self, customer_id: str, addresses: list[CustomerAddress], removed: set[str]
    ) -> None:
        for address_id in removed:
            self.rows.pop(address_id, None)
        for address in addresses:
            self.rows[address.id] = address
        defaults = [(a.kind, a.customer_id) for a in self.rows.values() if a.is_default]
        assert len(defaults) == len(set(defaults)), "one default per kind"


class FakeOrders:
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

    async def absent_references(self, references: Collection[str]) -> set[str]:
        return set(references) - {order.external_reference for order in self.rows.values()}

    async def search(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[Order]:
        descending = filters.direction is Direction.DESC

        def position(order: Order) -> Position:
            return _sort_value(order, filters.sort), order.id

        found = sorted(
            (o for o in self.rows.values() if _order_matches(o, filters)),
            key=position,
            reverse=descending,
        )
        if after is not None:
            found = [
                o for o in found if (position(o) < after if descending else position(o) > after)
            ]
        return copy.deepcopy(found[:limit])

    async def summaries(
        self, filters: OrderFilters, *, limit: int, after: Position | None
    ) -> list[OrderSummary]:
        return [o.summary() for o in await self.search(filters, limit=limit, after=after)]

    async def of_quote(self, quote_id: str) -> list[OrderRef]:
        mine = sorted(
            (o for o in self.rows.values() if o.quote_id == quote_id),
            key=lambda o: (o.created_at, o.id),
        )
        return [OrderRef(o.id, o.number) for o in mine]


class FakeQuotes:
    def __init__(self, orders: FakeOrders) -> None:
        self.rows: dict[str, Quote] = {}
        self.orders = orders

    async def add(self, quote: Quote) -> None:
        assert quote.id not in self.rows
        self.rows[quote.id] = copy.deepcopy(quote)

    async def get(self, quote_id: str, *, for_update: bool = False) -> Quote | None:
        found = copy.deepcopy(self.rows.get(quote_id))
        if found is not None:  # as in the database: the orders that name the quote
            found.orders = await self.orders.of_quote(quote_id)
        return found

    async def save(self, quote: Quote, *, lines: bool = False) -> None:
        stored = copy.deepcopy(quote)
        if not lines:
            stored.lines = self.rows[quote.id].lines
        self.rows[quote.id] = stored

    async def search(
        self, filters: QuoteFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Quote]:
        found = sorted(
            (q for q in self.rows.values() if _quote_matches(q, filters)),
            key=lambda q: (q.created_at, q.id),
            reverse=True,
        )
        if before is not None:
            found = [q for q in found if (q.created_at, q.id) < before]
        return [q for q in [await self.get(q.id) for q in found[:limit]] if q is not None]


class FakeOpportunities:
    def __init__(self) -> None:
        self.rows: dict[str, Opportunity] = {}

    async def get(self, opportunity_id: str) -> Opportunity | None:
        return self.rows.get(opportunity_id)

    async def upsert(self, opportunity: Opportunity) -> None:
        known = self.rows.get(opportunity.id)
        customer_id = opportunity.customer_id or (known.customer_id if known else None)
        self.rows[opportunity.id] = Opportunity(opportunity.id, opportunity.name, customer_id)


class FakeStages:
    def __init__(self) -> None:
        self.rows: list[Stage] = []

    async def all(self) -> list[Stage]:
        return sorted(self.rows, key=lambda s: s.position)

    async def replace(self, stages: list[Stage]) -> None:
        self.rows = list(stages)


class FakeSavedFilters:
    def __init__(self) -> None:
        self.rows: dict[str, SavedFilter] = {}

    async def add(self, saved: SavedFilter) -> bool:
        if any((s.owner, s.name) == (saved.owner, saved.name) for s in self.rows.values()):
            return False
        self.rows[saved.id] = saved
        return True

    async def get(self, filter_id: str, owner: str) -> SavedFilter | None:
        found = self.rows.get(filter_id)
        return found if found and found.owner == owner else None

    async def of_owner(
        self, owner: str, *, limit: int, after: tuple[str, str] | None
    ) -> list[SavedFilter]:
        found = sorted(
            (s for s in self.rows.values() if s.owner == owner), key=lambda s: (s.name, s.id)
        )
        if after is not None:
            found = [s for s in found if (s.name, s.id) > after]
        return found[:limit]

    async def delete(self, filter_id: str, owner: str) -> bool:
        if await self.get(filter_id, owner) is None:
            return False
        return self.rows.pop(filter_id, None) is not None


class FakeCatalogue:
    def __init__(self) -> None:
        self.rows: dict[str, CatalogueItem] = {}
        self.levels: dict[tuple[str, str], StockAvailability] = {}
        self.warehouses = {"MAIN": KnownWarehouse("MAIN", "Main warehouse", is_default=True)}

    async def warehouse(self, code: str, *, for_update: bool = False) -> KnownWarehouse | None:
        return self.warehouses.get(code)

    async def put_warehouse(self, warehouse: KnownWarehouse) -> None:
        self.warehouses[warehouse.code] = warehouse

    async def get(self, sku: str, *, for_update: bool = False) -> CatalogueItem | None:
        return self.rows.get(sku)

    async def items(self, skus: Collection[str]) -> dict[str, CatalogueItem]:
        return {sku: self.rows[sku] for sku in sorted(skus) if sku in self.rows}

    async def read_ahead_items(self, skus: Collection[str]) -> None:
        pass  # its items are in memory already

    async def put(self, item: CatalogueItem) -> None:
        self.rows[item.sku] = item

    async def put_level_if_newer(self, level: StockAvailability) -> bool:
        stored = self.levels.get((level.sku, level.warehouse))
        if stored is not None and not is_newer(level.sequence, stored.sequence):
            return False
        self.levels[(level.sku, level.warehouse)] = level
        return True

    async def availability(self, skus: Collection[str]) -> dict[str, Availability]:
        found: dict[str, list[StockAvailability]] = {}
        for (sku, _), level in sorted(self.levels.items()):
            if sku in skus:
                found.setdefault(sku, []).append(level)
        return {sku: Availability(tuple(levels)) for sku, levels in found.items()}

    async def search(
        self, *, text: str | None, active: bool | None, limit: int, after_sku: str | None
    ) -> tuple[list[CatalogueItem], bool]:
        def matches(item: CatalogueItem) -> bool:
            if not text:
                return True
            words = (item.sku.lower(), item.name.lower())
            return any(text.lower() in w for w in words) or item.barcode == text.strip()

        found = [
            item
            for sku, item in sorted(self.rows.items())
            if (after_sku is None or sku > after_sku)
            and (active is None or item.active is active)
            and matches(item)
        ]
        return found[:limit], len(found) > limit


class FakePriceLists:
    def __init__(self) -> None:
        self.rows: dict[str, PriceList] = {}

    async def add(self, price_list: PriceList) -> None:
        self.rows[price_list.id] = price_list

    async def replace(self, price_list: PriceList) -> None:
        self.rows[price_list.id] = price_list

    async def delete(self, price_list_id: str) -> None:
        self.rows.pop(price_list_id, None)

    async def get(self, price_list_id: str, *, for_update: bool = False) -> PriceList | None:
        return self.rows.get(price_list_id)

    async def lock_target(self, target: tuple[str, str], currency: str) -> None:
        return None

    async def of_target(self, target: tuple[str, str], currency: str) -> list[PriceList]:
        return [p for p in self.rows.values() if (p.target, p.currency) == (target, currency)]

    async def valid_for(
        self, *, customer_id: str, customer_group: str | None, currency: str, day: date
    ) -> list[PriceList]:
        return [
            p
            for p in self.rows.values()
            if p.currency == currency
            and p.valid_on(day)
            and (
                p.customer_id == customer_id
                or (customer_group is not None and p.customer_group == customer_group)
            )
        ]

    async def page(
        self,
        *,
        customer_id: str | None,
        customer_group: str | None,
        currency: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[list[PriceList], bool]:
        found = sorted(self.rows.values(), key=lambda p: (p.created_at, p.id), reverse=True)
        found = [
            p
            for p in found
            if (customer_id is None or p.customer_id == customer_id)
            and (customer_group is None or p.customer_group == customer_group)
            and (currency is None or p.currency == currency)
            and (after is None or (p.created_at, p.id) < after)
        ]
        return found[:limit], len(found) > limit


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.catalogue = FakeCatalogue()
        self.price_lists = FakePriceLists()
        self.catalogue_required = False  # unit tests name SKUs no catalogue event announced
        self.tax_rates: dict[str, Decimal] = {}
        self.customers = FakeCustomers()
        self.customer_groups = FakeCustomerGroups(self.customers)
        self.addresses = FakeAddresses()
        self.contacts = FakeContacts()
        self.attachments = FakeAttachments()
        self.orders = FakeOrders()
        self.quotes = FakeQuotes(self.orders)
        self.customers.named = lambda customer_id: any(
            record.customer_id == customer_id
            for record in [*self.orders.rows.values(), *self.quotes.rows.values()]
        )
        self.opportunities = FakeOpportunities()
        self.stages = FakeStages()
        self.saved_filters = FakeSavedFilters()
        self.counters: dict[int, int] = {}
        self.numbers_ahead: dict[int, list[int]] = {}  # taken together, not handed out yet
        self.read_ahead: list[tuple[str | None, frozenset[str]]] = []  # (customer, SKUs) asked
        self.quote_counters: dict[int, int] = {}
        self.outbox: list[CloudEvent[Any]] = []
        self.customer_outbox: list[CloudEvent[Any]] = []
        self.event_sequences: dict[str, int] = {}
        self.entries: list[tuple[str, TimelineEntry]] = []
        self.actor: str | None = None

    async def read_ahead_for_new_order(
        self, customer_id: str | None, skus: Collection[str]
    ) -> None:
        self.read_ahead.append((customer_id, frozenset(skus)))

    async def next_order_sequence(self, year: int) -> int:
        if self.numbers_ahead.get(year):
            return self.numbers_ahead[year].pop(0)
        self.counters[year] = self.counters.get(year, 0) + 1
        return self.counters[year]

    async def take_order_numbers_ahead(self, year: int, count: int) -> None:
        first = self.counters.get(year, 0) + 1
        self.counters[year] = first + count - 1
        self.numbers_ahead.setdefault(year, []).extend(range(first, first + count))

    async def next_quote_sequence(self, year: int) -> int:
        self.quote_counters[year] = self.quote_counters.get(year, 0) + 1
        return self.quote_counters[year]

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
        assert event.subject == (order_id or quote_id or key)
        if adding is not None:
            await self.orders.add(adding)
        if saving is not None:
            await self.orders.save(saving)
        if event.actor is None and self.actor is not None:
            event = event.model_copy(update={"actor": self.actor})
        if event.sequence is None:  # numbered per subject, as servicekit's record does
            subject = order_id or quote_id or key or ""
            self.event_sequences[subject] = self.event_sequences.get(subject, 0) + 1
            event = event.model_copy(update={"sequence": self.event_sequences[subject]})
        if order_id is None and quote_id is None:
            self.customer_outbox.append(event)  # about a customer: kept apart from the orders'
            return
        self.outbox.append(event)
        await self.note_received(event, summary=summary, order_id=order_id, quote_id=quote_id)

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
        if saving is not None:
            await self.orders.save(saving, lines=lines)
        if any(entry.event_id == event.id for _, entry in self.entries):
            return
        self._append(
            order_id or quote_id,
            TimelineEntry(
                occurred_at=event.time,
                type=event.type,
                source=event.source,
                event_id=event.id,
                summary=summary[:500],  # as the column holds it
                actor=event.actor,
                data=event.data.model_dump(mode="json"),
                sequence=event.sequence,
                stale=stale,
            ),
        )

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
        entry = TimelineEntry(
            occurred_at=datetime.now(UTC),
            type=type,
            source="/orders",
            event_id=str(uuid.uuid4()),
            summary=summary[:500],
            actor=self.actor,
            data=data,
        )
        self._append(order_id or quote_id or customer_id, entry)

    def _append(self, subject: str | None, entry: TimelineEntry) -> None:
        assert subject is not None
        self.entries.append((subject, entry))

    async def timeline(
        self,
        order_id: str | None = None,
        *,
        quote_id: str | None = None,
        customer_id: str | None = None,
    ) -> list[TimelineEntry]:
        subject = order_id or quote_id or customer_id
        mine = [(i, e) for i, (o, e) in enumerate(self.entries) if o == subject]
        return [e for _, e in sorted(mine, key=lambda item: (item[1].occurred_at, item[0]))]

    async def has_entry(
        self,
        type: str,
        match: dict[str, str],
        *,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> bool:
        return any(
            entry.type == type and all(entry.data.get(k) == v for k, v in match.items())
            for entry in await self.timeline(order_id, quote_id=quote_id)
        )

    def published_types(self) -> list[str]:
        return [event.type for event in self.outbox]


def fake_unit_of_work() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    _checked: UnitOfWork = fake  # mypy: the fake satisfies the port
    return fake


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return fake_unit_of_work()


@pytest.fixture
def fake_uow(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """The fake under the name servicekit.testing's contract fixtures ask for."""
    return uow
