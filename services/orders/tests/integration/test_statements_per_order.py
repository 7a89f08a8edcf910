"""How many SQL statements an order's hot paths take: loading and saving the order, and the
bookkeeping of a received event (timeline, sales model, webhook deliveries, stage timing).

Counted on the engine (`before_cursor_execute`), on a migrated database, each case in a
transaction rolled back at its end. A round trip more per order is a regression.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import document_generated, shipment_dispatched
from prometheus_client import REGISTRY
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.engine.default import NO_CACHE_KEY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, new_event
from contracts.common import StockLine
from contracts.events import OrderConfirmed, OrderMilestone, StockReserved
from orders.adapters import sales_model
from orders.adapters.batch_reads import read_orders_of
from orders.adapters.tables import (
    customers,
    order_documents,
    order_lines,
    order_shipments,
    order_timeline,
    orders,
    sales_intake,
    sales_lines,
    sales_milestones,
    sales_shipped,
    webhook_deliveries,
)
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.catalogue import CatalogueItem
from orders.domain.content import Line, LineInput, LineKind
from orders.domain.customer import Customer
from orders.domain.order import Document, Fulfilment, Order, OrderStatus
from orders.domain.webhooks import Subscription
from orders.entrypoints import mapping
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.service_layer import imports, reactions
from orders.service_layer import orders as orders_service
from orders.service_layer.ports import OrderFilters
from orders.service_layer.snapshots import snapshot
from servicekit.csvfiles import ImportReport
from servicekit.db import NUMBERING_ENGINE_INFO
from servicekit.direct import pipeline
from servicekit.testing import (
    contract_sessions_fixture,
    exchanges_sent,
    fake_or_sql,
    statements_sent,
)
from servicekit.unit_of_work import run_at_commit

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STAGE = "confirmation_to_reservation"  # order.confirmed → stock.reserved

contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "orders_statements")


@pytest.fixture
async def uow(contract_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[SqlUnitOfWork]:
    """The SQL unit of work in a transaction rolled back afterwards."""
    async with fake_or_sql("sql", None, contract_sessions, SqlUnitOfWork) as sql:
        assert sql is not None
        yield sql


@contextlib.contextmanager
def statements(uow: SqlUnitOfWork, *, uncacheable: bool = False) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs; with `uncacheable`, only those SQLAlchemy
    could not cache (compiled anew on every call: a multi-row VALUES clause, for one)."""
    sent: list[str] = []
    engine = uow.session.get_bind()

    def count(*args: Any) -> None:
        if not uncacheable or args[4].cache_hit is NO_CACHE_KEY:
            sent.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def new_id() -> str:
    return str(uuid.uuid4())


def document(kind: str = "order_confirmation") -> Document:
    document_id = new_id()
    return Document(document_id, kind, "SO-2026-000001", f"/documents/{document_id}/content")


async def open_order(uow: SqlUnitOfWork, **fields: Any) -> Order:
    """A confirmed order waiting for its reservation: two lines, a document and a shipment."""
    customer = Customer(id=new_id(), name="Acme", email=f"{new_id()}@example.com", created_at=T0)
    await uow.customers.add(customer)
    lines = [
        Line(
            line_no=number,
            sku=f"SKU-{number}",
            kind=LineKind.PRODUCT,
            description=f"Item {number}",
            quantity=D("2.5"),
            unit_price=D("10.00"),
            tax_rate=D("21"),
        )
        for number in (1, 2)
    ]
    order = Order(
        id=new_id(),
        number=f"SO-2026-{uuid.uuid4().int % 10**6:06d}",
        customer_id=customer.id,
        currency="EUR",
        order_date=date(2026, 3, 2),
        lines=lines,
        created_at=T0,
        updated_at=T0,
        status=OrderStatus.OPEN,
        fulfilment=Fulfilment.RESERVING,
        documents=[document()],
        shipment_ids={"SHP-1"},
        **fields,
    )
    await uow.orders.add(order)
    return order


async def open_order_and_customer(uow: SqlUnitOfWork) -> tuple[Order, Customer]:
    """`open_order`, and its customer as the unit of work reads it."""
    order = await open_order(uow)
    customer = await uow.customers.get(order.customer_id or "")
    assert customer is not None
    return order, customer


def reserved(order: Order, sequence: int) -> CloudEvent[Any]:
    lines = [StockLine(sku=line.sku, quantity=line.quantity) for line in order.lines]
    data = StockReserved(order_id=order.id, lines=lines)
    made = new_event(EventType.STOCK_RESERVED, data, source="/inventory", subject=order.id)
    return made.model_copy(update={"sequence": sequence})


def stage_count() -> float:
    return REGISTRY.get_sample_value("suite_order_stage_seconds_count", {"stage": STAGE}) or 0.0


async def stored(uow: SqlUnitOfWork, column: Any, order_id: str, order_by: Any) -> list[Any]:
    """The values of `column` in the rows of the order (of its table), in `order_by` order."""
    rows = await uow.session.execute(
        select(column).where(column.table.c.order_id == order_id).order_by(order_by)
    )
    return list(rows.scalars())


async def test_an_order_loads_in_one_statement_and_saves_only_what_is_new(
    uow: SqlUnitOfWork,
) -> None:
    added = await open_order(uow)

    with statements(uow) as sent:
        order = await uow.orders.get(added.id, for_update=True)
    assert order == added
    assert len(sent) == 1, sent  # the locked header, its lines, documents and shipments

    with statements(uow) as sent:
        order.updated_at = T0 + timedelta(minutes=1)
        await uow.orders.save(order)
    assert len(sent) == 1, sent  # no child is new: the header only

    invoice = document("invoice")
    order.add_document(invoice)
    order.shipment_ids.add("SHP-2")
    with statements(uow) as sent:
        await uow.orders.save(order)
    assert len(sent) == 1, sent  # the header, the new document and the new shipment together
    with statements(uow) as sent:
        await uow.orders.save(order)
    assert len(sent) == 1, sent  # saved once: not written again

    with statements(uow) as sent:
        again = await uow.orders.get(added.id)
    assert len(sent) == 1, sent  # without a lock: the header and its children together
    assert again == order
    assert [d.kind for d in again.documents] == ["order_confirmation", "invoice"]
    assert again.shipment_ids == {"SHP-1", "SHP-2"}
    assert await uow.orders.get(new_id()) is None


async def test_an_order_is_added_with_its_children_in_one_statement(uow: SqlUnitOfWork) -> None:
    first = await open_order(uow)
    order = dataclasses.replace(
        first,
        id=new_id(),
        number=f"SO-2026-{uuid.uuid4().int % 10**6:06d}",
        documents=[document(), document("invoice")],
        shipment_ids={"SHP-7", "SHP-8"},
    )
    with statements(uow) as sent:
        await uow.orders.add(order)
    assert len(sent) == 1, sent  # the header, its lines, documents and shipments
    assert await uow.orders.get(order.id) == order

    bare = dataclasses.replace(first, id=new_id(), number="SO-2026-BARE", documents=[])
    bare.shipment_ids = set()
    await uow.orders.add(bare)  # no children but its lines: their parts are left out
    again = await uow.orders.get(bare.id)
    assert again == bare


async def test_a_new_order_is_stored_with_its_created_event_in_one_statement(
    uow: SqlUnitOfWork,
) -> None:
    first, customer = await open_order_and_customer(uow)
    subscription = await subscribed(uow, EventType.ORDER_CREATED)
    order = dataclasses.replace(
        first,
        id=new_id(),
        number=f"SO-2026-{uuid.uuid4().int % 10**6:06d}",
        status=OrderStatus.DRAFT,
        fulfilment=Fulfilment.UNRESERVED,
        documents=[],
    )
    order.shipment_ids = set()

    with statements(uow) as sent:
        await orders_service.announce_order(
            uow, order, customer, "Order created", correlation_id=None, add=True
        )
    # The header and its lines, the event's number, its outbox row, its timeline entry and its
    # webhook delivery: one statement (the foreign keys on the order are checked at its end).
    assert len(sent) == 1, sent
    parts = ("INSERT INTO orders", "order_lines", "event_sequences", "outbox", "order_timeline")
    assert all(part in sent[0] for part in parts), sent[0]
    assert await uow.orders.get(order.id) == order
    assert await stored(uow, order_timeline.c.type, order.id, order_timeline.c.id) == [
        EventType.ORDER_CREATED.value
    ]
    deliveries = await uow.session.execute(
        select(webhook_deliveries.c.order_id).where(
            webhook_deliveries.c.subscription_id == subscription.id
        )
    )
    assert deliveries.scalars().all() == [order.id]


async def test_a_new_orders_customer_and_items_are_read_in_one_statement(
    uow: SqlUnitOfWork,
) -> None:
    customer = Customer(id=new_id(), name="Acme", email=f"{new_id()}@example.com", created_at=T0)
    await uow.customers.add(customer)
    drill = CatalogueItem(
        sku=f"DRILL-{new_id()}",
        name="Cordless drill",
        kind="product",
        list_prices={"EUR": D("89.90"), "USD": D("99.00")},
        barcode="4006381333931",
        sequence=7,
    )
    setup = CatalogueItem(sku=f"SETUP-{new_id()}", name="Set-up", kind="service", active=False)
    for item in (drill, setup):
        await uow.catalogue.put(item)
    unknown = f"NONE-{new_id()}"
    skus = {drill.sku, setup.sku, unknown}
    read_alone = await uow.catalogue.items(skus)

    with statements(uow) as sent:
        await uow.read_ahead_for_new_order(customer.id, skus)
    assert len(sent) == 1, sent  # the customer and the items together
    with statements(uow) as sent:
        assert await uow.customers.get(customer.id.upper()) == customer
        assert await uow.catalogue.items(skus) == read_alone == {drill.sku: drill, setup.sku: setup}
        assert await uow.catalogue.items({unknown}) == {}
    assert sent == []  # each answered from what was read ahead

    with statements(uow) as sent:
        assert await uow.catalogue.items({drill.sku, f"OTHER-{new_id()}"}) == {drill.sku: drill}
    assert len(sent) == 1, sent  # a SKU not read ahead: read again
    await uow.catalogue.put(dataclasses.replace(drill, name="Drill, 18 V"))
    with statements(uow) as sent:
        assert (await uow.catalogue.items({drill.sku}))[drill.sku].name == "Drill, 18 V"
    assert len(sent) == 1, sent  # the catalogue written: what was read ahead is forgotten

    for nobody in (new_id(), "not an id", None):
        await uow.read_ahead_for_new_order(nobody, {drill.sku})
    assert await uow.customers.get(new_id()) is None


async def until_waiting_for_a_lock(sessions: async_sessionmaker[AsyncSession], pid: int) -> None:
    """Return once the backend `pid` waits for a lock."""
    query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
    async with sessions() as monitor:
        for _ in range(1000):
            if await monitor.scalar(query, {"pid": pid}) == "Lock":
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the locked read never waited for the writer")


async def test_a_locked_read_that_waited_for_a_writer_reads_the_children_it_wrote(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with contract_sessions() as session, session.begin():
        added = await open_order(SqlUnitOfWork(session))
    try:
        async with contract_sessions() as writing, contract_sessions() as reading:
            writer, reader = SqlUnitOfWork(writing), SqlUnitOfWork(reading)
            held = await writer.orders.get(added.id, for_update=True)
            assert held is not None
            held.add_document(document("invoice"))
            held.shipment_ids.add("SHP-2")
            await writer.orders.save(held)
            pid = await reading.scalar(text("SELECT pg_backend_pid()"))
            with statements(reader) as sent:
                read = asyncio.create_task(reader.orders.get(added.id, for_update=True))
                await until_waiting_for_a_lock(contract_sessions, pid)
                await writing.commit()
                order = await read
            # The read's snapshot was taken before the writer committed: its children are read
            # again once the lock is granted.
            reads = [statement for statement in sent if "pg_stat_activity" not in statement]
            assert len(reads) == 2, reads
            assert order is not None
            assert [d.kind for d in order.documents] == ["order_confirmation", "invoice"]
            assert order.shipment_ids == {"SHP-1", "SHP-2"}
            await reading.rollback()
    finally:
        async with contract_sessions() as session, session.begin():  # the others see none of it
            for table in (order_lines, order_documents, order_shipments, orders):
                key = table.c.id if table is orders else table.c.order_id
                await session.execute(delete(table).where(key == added.id))
            await session.execute(delete(customers).where(customers.c.id == added.customer_id))


async def test_a_save_updates_changed_quantities_and_replaces_changed_lines(
    uow: SqlUnitOfWork,
) -> None:
    added = await open_order(uow)
    order = await uow.orders.get(added.id, for_update=True)
    assert order is not None

    with statements(uow) as sent:
        await uow.orders.save(order, lines=True)
    assert len(sent) == 1, sent  # the lines did not change: the header only

    order.lines[1].shipped_quantity = D("2.5")  # shipped, and the rest cancelled: amounts follow
    order.lines[0].cancelled_quantity = D("1")
    with statements(uow) as sent:
        await uow.orders.save(order, lines=True)
    assert len(sent) == 2, sent  # the header, and the quantities of the changed lines
    assert await uow.orders.get(added.id) == order
    assert await stored(uow, order_lines.c.net_amount, order.id, order_lines.c.line_no) == [
        line.amounts.net for line in order.lines
    ]

    order.lines[0].returned_quantity = D("0.5")
    order.lines[1].description = "Item 2, in blue"
    with statements(uow) as sent:
        await uow.orders.save(order, lines=True)
    assert len(sent) == 3, sent  # more than quantities changed: the lines replaced
    assert await uow.orders.get(added.id) == order
    assert await stored(uow, order_lines.c.net_amount, order.id, order_lines.c.line_no) == [
        line.amounts.net for line in order.lines
    ]

    del order.lines[1]
    await uow.orders.save(order, lines=True)
    assert await uow.orders.get(added.id) == order


async def test_searching_orders_reads_their_children_in_one_statement(uow: SqlUnitOfWork) -> None:
    first = await open_order(uow)
    second = await open_order(uow, customer_reference="second")

    with statements(uow) as sent:
        found = await uow.orders.search(OrderFilters(), limit=10, after=None)
    assert {order.id: order for order in found} == {first.id: first, second.id: second}
    assert len(sent) == 2, sent  # the headers, then the children of them all


async def test_a_received_event_is_booked_in_one_statement(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)
    # The stage starts at the order's confirmation.
    await uow.note(EventType.ORDER_CONFIRMED.value, summary="", data={}, order_id=order.id)
    observed = stage_count()

    first = reserved(order, 1)
    with statements(uow) as sent:
        await uow.note_received(first, summary="Stock reserved", order_id=order.id)
    # Timeline, webhook deliveries (none wanted) and the stage's start: one statement.
    assert len(sent) == 1, sent
    assert stage_count() == observed + 1

    with statements(uow) as sent:
        await uow.note_received(first, summary="Stock reserved", order_id=order.id)
    assert len(sent) == 1, sent  # seen before: nothing more
    assert stage_count() == observed + 1
    assert await stored(uow, order_timeline.c.type, order.id, order_timeline.c.id) == [
        EventType.ORDER_CONFIRMED.value,
        EventType.STOCK_RESERVED.value,
    ]


async def subscribed(uow: SqlUnitOfWork, event_type: EventType) -> Subscription:
    """A webhook subscription to `event_type`, made in the unit of work's transaction."""
    subscription = Subscription(
        id=new_id(),
        url="https://hooks.example.com/in",
        event_types=[event_type.value],
        secret="s" * 32,
    )
    await uow.webhooks.add(subscription)
    return subscription


async def test_a_subscription_made_just_before_gets_the_next_event(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)
    subscription = await subscribed(uow, EventType.STOCK_RESERVED)

    first = reserved(order, 1)
    with statements(uow) as sent:
        await uow.note_received(first, summary="Stock reserved", order_id=order.id)
    assert len(sent) == 1, sent  # booked with its delivery (the dispatcher woken after the commit)
    stale = reserved(order, 1).model_copy(update={"id": new_id()})
    await uow.note_received(stale, summary="Stale", order_id=order.id, stale=True)

    deliveries = await uow.session.execute(
        select(
            webhook_deliveries.c.event_id,
            webhook_deliveries.c.order_id,
            webhook_deliveries.c.payload,
        ).where(webhook_deliveries.c.subscription_id == subscription.id)
    )
    # A stale event is not sent; the one sent is the event byte for byte as it would be dumped,
    # and the timeline keeps its data.
    assert deliveries.all() == [(first.id, order.id, first.model_dump_json())]
    data = await uow.session.scalar(
        select(order_timeline.c.data).where(order_timeline.c.event_id == first.id)
    )
    assert data == first.data.model_dump(mode="json")


async def test_a_reaction_to_a_received_event_takes_few_statements(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)

    with statements(uow) as sent:
        await reactions.stock_reserved(uow, reserved(order, 1))
    # Load (1), book the event with the header saved in the same statement (1).
    assert len(sent) == 2, sent
    stored = await uow.orders.get(order.id)
    assert stored is not None
    assert stored.fulfilment is Fulfilment.RESERVED
    assert stored.applied_sequences == {"/inventory": 1}

    generated = document_generated(order.id, "INV-2026-000001", document_id=new_id())
    made = new_event(EventType.DOCUMENT_GENERATED, generated, source="/documents", subject=order.id)
    with statements(uow) as sent:
        await reactions.document_generated(uow, made)
    # Load (1), book the event with the header and the new document (1).
    assert len(sent) == 2, sent
    rows = await uow.session.execute(select(func.count()).select_from(order_timeline))
    assert rows.scalar_one() == 2
    again = await uow.orders.get(order.id)
    assert again is not None
    assert again.documents[-1].reference == "INV-2026-000001"
    assert again.updated_at > stored.updated_at  # the header saved with the booking


async def test_an_event_of_ours_is_numbered_recorded_and_booked_in_one_statement(
    uow: SqlUnitOfWork,
) -> None:
    order = await open_order(uow)
    subscription = await subscribed(uow, EventType.ORDER_SHIPPED)

    def shipped() -> CloudEvent[Any]:
        data = OrderMilestone(
            order_id=order.id,
            number=order.number,
            customer_id=order.customer_id,
            fulfilment="shipped",
            billing="not_invoiced",
        )
        return new_event(EventType.ORDER_SHIPPED, data, source="/orders", subject=order.id)

    first, second = shipped(), shipped()
    with statements(uow) as sent:
        await uow.record(first, summary="Shipped", order_id=order.id)
    # Its number, its outbox row, its timeline entry, its webhook delivery and the sales model's
    # milestone: one statement (the relay and the dispatcher are woken after the commit).
    assert len(sent) == 1, sent
    parts = (
        "event_sequences",
        "outbox",
        "order_timeline",
        "webhook_deliveries",
        "sales_milestones",
    )
    assert all(part in sent[0] for part in parts)
    with statements(uow) as sent:
        await uow.record(second, summary="Shipped again", order_id=order.id)
    assert len(sent) == 1, sent
    assert not [statement for statement in sent if "pg_notify" in statement]  # ADR 45
    shipped_at = await uow.session.scalar(
        select(sales_milestones.c.shipped_at).where(sales_milestones.c.order_id == order.id)
    )
    assert shipped_at == min(first.time, second.time)

    outbox = uow.outbox
    rows = await uow.session.execute(
        select(outbox.c.event_id, outbox.c.key, outbox.c.topic, outbox.c.payload)
        .where(outbox.c.key == order.id)
        .order_by(outbox.c.id)
    )
    recorded = [(row.event_id, row.key, row.topic, row.payload) for row in rows]
    assert [(event_id, key, topic) for event_id, key, topic, _ in recorded] == [
        (first.id, order.id, "orders.events"),
        (second.id, order.id, "orders.events"),
    ]
    sequences = [CloudEvent.model_validate_json(payload).sequence for *_, payload in recorded]
    assert sequences == [1, 2]
    booked = await stored(uow, order_timeline.c.summary, order.id, order_timeline.c.id)
    assert booked[-2:] == ["Shipped", "Shipped again"]
    timeline_sequences = await stored(uow, order_timeline.c.sequence, order.id, order_timeline.c.id)
    assert timeline_sequences[-2:] == [1, 2]  # the numbers the outbox rows carry
    deliveries = await uow.session.execute(
        select(webhook_deliveries.c.event_id, webhook_deliveries.c.payload).where(
            webhook_deliveries.c.subscription_id == subscription.id
        )
    )
    # Each delivery is the event with the same number, byte for byte as it would be dumped.
    delivered = {event_id: payload for event_id, payload in deliveries}
    assert delivered == {
        first.id: first.model_copy(update={"sequence": 1}).model_dump_json(),
        second.id: second.model_copy(update={"sequence": 2}).model_dump_json(),
    }


async def test_the_reactions_to_documents_and_shipments_send_only_cacheable_statements(
    uow: SqlUnitOfWork,
) -> None:
    order = await open_order(uow)
    generated = document_generated(order.id, "SO-2026-000001", document_id=new_id())
    shipped = shipment_dispatched(order.id, "SHP-9", [("SKU-1", "1"), ("SKU-2", "2")], fully=False)
    documents = new_event(
        EventType.DOCUMENT_GENERATED, generated, source="/documents", subject=order.id
    )
    inventory = new_event(
        EventType.SHIPMENT_DISPATCHED, shipped, source="/inventory", subject=order.id
    )
    with statements(uow) as sent, statements(uow, uncacheable=True) as compiled_each_time:
        await reactions.document_generated(uow, documents)
        await reactions.shipment_dispatched(uow, inventory)
    assert any("INSERT INTO order_documents" in statement for statement in sent), sent
    assert any("INSERT INTO order_shipments" in statement for statement in sent), sent
    # The sales model's quantities per SKU go in the statement that books the shipment.
    booking = [statement for statement in sent if "INSERT INTO sales_shipped" in statement]
    assert len(booking) == 1, sent
    assert "INSERT INTO order_timeline" in booking[0]
    assert compiled_each_time == []
    rows = await uow.session.execute(
        select(sales_shipped.c.sku, sales_shipped.c.quantity)
        .where(sales_shipped.c.shipment_id == "SHP-9")
        .order_by(sales_shipped.c.sku)
    )
    assert [tuple(row) for row in rows] == [("SKU-1", D("1")), ("SKU-2", D("2"))]


# A consumed batch locks and reads the orders its events are about before its handlers run, in
# id order, so that two batches about the same orders never deadlock (one would be rolled back
# and redone one event at a time), and its handlers do not read them one by one.


def document_event(order_id: str) -> CloudEvent[Any]:
    payload = document_generated(order_id, "SO-2026-000001", kind="order_confirmation")
    return new_event(EventType.DOCUMENT_GENERATED, payload, source="/documents", subject=order_id)


async def test_a_batchs_reactions_book_their_events_in_one_exchange(uow: SqlUnitOfWork) -> None:
    waiting = [await open_order(uow) for _ in range(5)]
    for order in waiting:  # the stage starts at the order's confirmation
        await uow.note(EventType.ORDER_CONFIRMED.value, summary="", data={}, order_id=order.id)
    # Two reactions first: the booking's statement planned, its result types learnt.
    for order in waiting[:2]:
        assert await reactions.stock_reserved(SqlUnitOfWork(uow.session), reserved(order, 1))
    batch, events = waiting[2:], [reserved(order, 1) for order in waiting[2:]]
    observed = stage_count()

    pipeline(uow.session)  # as the consumer does for a batch
    with exchanges_sent() as sent:
        await read_orders_of(uow.session, events)  # the batch's orders read ahead
        for event_ in events:
            assert await reactions.stock_reserved(SqlUnitOfWork(uow.session), event_)
        assert sent == [1]  # the read-ahead; the bookings wait
        assert stage_count() == observed
        await run_at_commit(uow.session)
    assert sent == [1, 3]  # the three bookings (each with its order's save) in one exchange
    assert stage_count() == observed + 3  # each booking's row taken when it came
    for order in batch:
        stored_order = await uow.orders.get(order.id)
        assert stored_order is not None
        assert stored_order.fulfilment is Fulfilment.RESERVED
        assert await stored(uow, order_timeline.c.type, order.id, order_timeline.c.id) == [
            EventType.ORDER_CONFIRMED.value,
            EventType.STOCK_RESERVED.value,
        ]


async def test_a_batch_locks_every_order_its_events_are_about(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with contract_sessions() as session, session.begin():
        uow = SqlUnitOfWork(session)
        first, second, untouched = [await open_order(uow) for _ in range(3)]
    batch = [document_event(order.id) for order in (second, first, second)]

    async with contract_sessions() as batch_session, batch_session.begin():
        await read_orders_of(batch_session, batch)
        async with contract_sessions() as other, other.begin():
            for order in (first, second):
                with pytest.raises(DBAPIError, match="could not obtain lock"):
                    async with other.begin_nested():
                        await other.execute(
                            select(orders.c.id)
                            .where(orders.c.id == order.id)
                            .with_for_update(nowait=True)
                        )
            free = (
                select(orders.c.id).where(orders.c.id == untouched.id).with_for_update(nowait=True)
            )
            assert (await other.execute(free)).scalar_one() == untouched.id


async def test_a_batch_reads_its_orders_ahead_and_hands_each_out_once(
    uow: SqlUnitOfWork,
) -> None:
    first, second = await open_order(uow), await open_order(uow, customer_reference="second")
    batch = [document_event(order.id) for order in (second, first, second)]
    with statements(uow) as sent:
        await read_orders_of(uow.session, batch)
    assert len(sent) == 1, sent  # the locked headers and the children of both

    handler = SqlUnitOfWork(uow.session)  # each handler makes its own, as the consumer does
    with statements(handler) as sent:
        taken = await handler.orders.get(second.id.upper(), for_update=True)
        assert taken == second
        assert await reactions.stock_reserved(handler, reserved(first, 1)) is not None
    # The second order taken without a statement; the reaction to the first booked the event
    # with its header saved in the same statement: nothing read.
    assert len(sent) == 1, sent
    assert not any("FROM orders" in statement for statement in sent), sent

    with statements(handler) as sent:
        again = await handler.orders.get(second.id, for_update=True)
    assert len(sent) == 1, sent  # handed out once: the next get reads it
    assert again == second
    assert again is not taken
    fulfilment = select(orders.c.fulfilment).where(orders.c.id == first.id)
    assert (await uow.session.execute(fulfilment)).scalar_one() == Fulfilment.RESERVED.value


def invoice_pdf(order_id: str) -> CloudEvent[Any]:
    """An invoice PDF of the order, a new document each time."""
    payload = document_generated(order_id, "INV-2026-000001", document_id=new_id())
    return new_event(EventType.DOCUMENT_GENERATED, payload, source="/documents", subject=order_id)


async def test_an_order_a_handler_saved_goes_to_the_batchs_next_handler_unread(
    uow: SqlUnitOfWork,
) -> None:
    planned, order = await open_order(uow), await open_order(uow)
    # Two reactions first: the booking's statement planned, its result types learnt.
    for _ in range(2):
        planning = SqlUnitOfWork(uow.session)
        assert await reactions.document_generated(planning, invoice_pdf(planned.id))
    events = [invoice_pdf(order.id) for _ in range(3)]  # a consumer catching up on one order

    pipeline(uow.session)  # as the consumer does for a batch
    with exchanges_sent() as sent:
        await read_orders_of(uow.session, events)
        handed = [
            await reactions.document_generated(SqlUnitOfWork(uow.session), event_)
            for event_ in events
        ]
        assert sent == [1]  # the read-ahead alone: each handler took the order saved before
        await run_at_commit(uow.session)
    assert sent == [1, 3]  # the three bookings (each with its save) in one exchange
    assert handed[0] is handed[1] is handed[2]
    assert await stored(
        uow, order_documents.c.document_id, order.id, order_documents.c.position
    ) == [document.document_id for document in handed[2].documents]
    assert len(handed[2].documents) == 4  # the confirmation's and the three invoices
    assert (
        await stored(uow, order_timeline.c.type, order.id, order_timeline.c.id)
        == [EventType.DOCUMENT_GENERATED.value] * 3
    )


async def test_an_order_changed_after_its_save_is_read_again(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)
    await read_orders_of(uow.session, [invoice_pdf(order.id)])
    handler = SqlUnitOfWork(uow.session)
    saved = await reactions.document_generated(handler, invoice_pdf(order.id))
    saved.invoice_states["INV-2026-000001"] = "paid"  # changed in place, and never saved

    rereader = SqlUnitOfWork(uow.session)
    with statements(uow) as sent:
        again = await rereader.orders.get(order.id, for_update=True)
    assert len(sent) == 1, sent  # read again: the copy saved is no longer what was written
    assert again is not None
    assert again is not saved
    assert again.invoice_states == {}
    assert again.documents == saved.documents

    # Read locked in the batch's transaction, then saved: it waits for the next handler too.
    await rereader.orders.save(again)
    with statements(uow) as sent:
        assert await SqlUnitOfWork(uow.session).orders.get(order.id) is again
    assert sent == []


async def test_a_save_rolled_back_to_a_savepoint_is_not_handed_on(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)
    await read_orders_of(uow.session, [invoice_pdf(order.id)])
    savepoint = await uow.session.begin_nested()
    await reactions.document_generated(SqlUnitOfWork(uow.session), invoice_pdf(order.id))
    await savepoint.rollback()

    with statements(uow) as sent:
        again = await SqlUnitOfWork(uow.session).orders.get(order.id, for_update=True)
    assert len(sent) == 1, sent
    assert again is not None
    assert [document.kind for document in again.documents] == ["order_confirmation"]


async def test_an_order_written_after_it_was_read_ahead_is_read_again(
    uow: SqlUnitOfWork,
) -> None:
    added = await open_order(uow)
    await read_orders_of(uow.session, [document_event(added.id)])

    # Written through another copy (a search's) before any handler took the one read ahead.
    filters = OrderFilters(customer_id=added.customer_id)
    (found,) = await uow.orders.search(filters, limit=10, after=None)
    found.add_document(document("invoice"))
    found.updated_at = T0 + timedelta(minutes=5)
    await uow.orders.save(found)

    handler = SqlUnitOfWork(uow.session)
    with statements(handler) as sent:
        order = await handler.orders.get(added.id, for_update=True)
    assert len(sent) == 1, sent  # read again: the copy read ahead is out of date
    assert order == found
    assert [d.kind for d in order.documents] == ["order_confirmation", "invoice"]

    order.shipment_ids.add("SHP-2")
    with statements(handler) as sent:
        await handler.orders.save(order)
    assert len(sent) == 1, sent
    assert "INSERT INTO order_shipments" in sent[0]
    assert "INSERT INTO order_documents" not in sent[0]  # the invoice is known stored


async def test_a_confirmation_reaches_the_sales_model_in_one_statement(
    uow: SqlUnitOfWork,
) -> None:
    order, customer = await open_order_and_customer(uow)
    payload = OrderConfirmed(order=snapshot(order, customer))
    made = new_event(EventType.ORDER_CONFIRMED, payload, source="/orders", subject=order.id)
    confirmed = made.model_copy(update={"sequence": 2})

    with statements(uow) as sent:
        await sales_model.project(uow.session, confirmed)
    assert len(sent) == 1, sent  # intake, lines and milestone
    older = confirmed.model_copy(update={"id": new_id(), "sequence": 1, "time": T0})
    with statements(uow) as sent:
        await sales_model.project(uow.session, older)
    assert len(sent) == 1, sent

    line_nos = await stored(uow, sales_lines.c.line_no, order.id, sales_lines.c.line_no)
    assert line_nos == [1, 2]
    assert await stored(
        uow, sales_milestones.c.confirmed_at, order.id, sales_milestones.c.order_id
    ) == [T0]


async def test_a_newer_snapshot_replaces_the_kept_lines_and_an_older_one_keeps_them(
    uow: SqlUnitOfWork,
) -> None:
    order, customer = await open_order_and_customer(uow)

    def revision(sequence: int) -> CloudEvent[Any]:
        payload = OrderConfirmed(order=snapshot(order, customer))
        made = new_event(EventType.ORDER_REVISED, payload, source="/orders", subject=order.id)
        return made.model_copy(update={"sequence": sequence})

    def kept() -> Any:
        return uow.session.execute(
            select(sales_lines.c.line_no, sales_lines.c.sku, sales_lines.c.quantity)
            .where(sales_lines.c.order_id == order.id)
            .order_by(sales_lines.c.line_no)
        )

    await sales_model.project(uow.session, revision(2))
    # Revised: line 2 dropped, line 1 changed, line 3 added.
    first, _ = order.lines
    order.lines = [
        dataclasses.replace(first, quantity=D("4")),
        dataclasses.replace(first, line_no=3, sku="SKU-3", quantity=D("1")),
    ]
    older = revision(1)
    await sales_model.project(uow.session, revision(3))
    assert [tuple(row) for row in await kept()] == [(1, "SKU-1", D("4")), (3, "SKU-3", D("1"))]

    await sales_model.project(uow.session, older)  # written before revision 3: not taken
    assert [tuple(row) for row in await kept()] == [(1, "SKU-1", D("4")), (3, "SKU-3", D("1"))]
    intake = await uow.session.execute(
        select(sales_intake.c.sequence, sales_intake.c.net).where(
            sales_intake.c.order_id == order.id
        )
    )
    assert tuple(intake.one()) == (3, order.totals.net)


async def test_a_confirmation_and_its_answer_read_the_customer_with_the_order(
    uow: SqlUnitOfWork,
) -> None:
    draft = await open_order(uow)
    draft.status, draft.fulfilment = OrderStatus.DRAFT, Fulfilment.UNRESERVED
    await uow.orders.save(draft)
    request = SqlUnitOfWork(uow.session)  # a request's own unit of work, as the API makes
    with statements(request) as sent:
        confirmed = await orders_service.confirm_order(request, draft.id)
        answer = await mapping.read_order(request, confirmed)
    assert answer.customer is not None
    assert answer.customer.name == "Acme"
    # The customer is read along with the order, for the event's snapshot and the answer.
    assert not any(s.lstrip().startswith("SELECT customers") for s in sent), sent
    assert len(sent) == 2, sent  # the order with its customer; the booking
    # The header is saved in the statement that records order.confirmed, not in one of its own.
    assert not any(s.startswith("UPDATE orders") for s in sent), sent
    saved = [s for s in sent if "UPDATE orders" in s]
    assert len(saved) == 1, sent
    # The event recorded and numbered, and projected on the sales model, in the same statement.
    assert all(part in saved[0] for part in ("INSERT INTO outbox", "sales_intake", "sales_lines"))
    intake = await uow.session.execute(
        select(sales_intake.c.sequence).where(sales_intake.c.order_id == draft.id)
    )
    timeline = await uow.session.execute(
        select(order_timeline.c.sequence).where(
            order_timeline.c.order_id == draft.id,
            order_timeline.c.type == EventType.ORDER_CONFIRMED.value,
        )
    )
    assert intake.scalar_one() == timeline.scalar_one()  # the number the statement gave it
    kept = await stored(uow, sales_lines.c.line_no, draft.id, sales_lines.c.line_no)
    assert kept == [1, 2]
    saved_order = await uow.orders.get(draft.id)
    assert saved_order is not None
    assert saved_order.status is OrderStatus.OPEN
    assert saved_order.updated_at == confirmed.updated_at


async def test_an_order_and_its_answer_are_read_in_one_statement(uow: SqlUnitOfWork) -> None:
    added = await open_order(uow)
    request = SqlUnitOfWork(uow.session)
    with statements(request) as sent:
        order = await orders_service.get_order(request, added.id)
        answer = await mapping.read_order(request, order)
    assert len(sent) == 1, sent  # the order, its children and its customer
    assert answer.customer is not None
    assert answer.customer.name == "Acme"
    customer = await SqlUnitOfWork(uow.session).customers.get(added.customer_id or "")
    assert customer is not None
    assert await request.customers.get(customer.id) == customer  # every column read along

    without = await open_order(uow)
    without.customer_id = None
    await uow.orders.save(without)
    again = SqlUnitOfWork(uow.session)
    assert (await again.orders.get(without.id)) == without  # no customer: nothing read along
    assert again.customers.known_rows == {}


async def test_a_customer_saved_is_read_again(uow: SqlUnitOfWork) -> None:
    order = await open_order(uow)
    assert order.customer_id is not None
    customer = await uow.customers.get(order.customer_id)
    assert customer is not None
    customer.name = "Acme Holdings"
    assert (await uow.customers.get(order.customer_id)).name == "Acme"  # type: ignore[union-attr]
    await uow.customers.save(customer)
    with statements(uow) as sent:
        again = await uow.customers.get_many({order.customer_id})
    assert again[order.customer_id].name == "Acme Holdings"
    assert len(sent) == 1


async def test_a_files_orders_ask_for_their_references_numbers_and_items_together(
    uow: SqlUnitOfWork,
) -> None:
    customer = Customer(id=new_id(), name="Acme", email=f"{new_id()}@example.com", created_at=T0)
    await uow.customers.add(customer)
    await uow.references.add(imports.CUSTOMER, f"ACME-{customer.id}", customer.id)
    skus = [f"SKU-{new_id()}" for _ in range(3)]
    for sku in skus:
        await uow.catalogue.put(CatalogueItem(sku=sku, name=sku, kind="product"))
    taken = await open_order(uow, external_reference=f"EXT-{new_id()}")

    def group(reference: str, sku: str) -> imports.OrderGroup:
        line = LineInput(sku, LineKind.PRODUCT, sku, D("1"), D("2.50"), tax_rate=D("21"))
        order = orders_service.NewOrder(customer_id=None, currency="EUR", lines=[line])
        return imports.OrderGroup(reference, 2, f"ACME-{customer.id}", order, (2,))

    groups = [group(f"EXT-{new_id()}", sku) for sku in skus]
    groups.append(group(taken.external_reference or "", skus[0]))  # imported before
    report = ImportReport(dry_run=False, rows=len(groups))
    numbering = uow.session.info[NUMBERING_ENGINE_INFO]
    with statements(uow) as sent, statements_sent(numbering.sync_engine) as numbers_taken:
        await imports.import_orders(uow, uow.references, groups, report)
    assert (report.created, report.existing, report.errors) == (3, 1, [])
    # The customers' references, the customers, the orders' references and the items: one
    # statement each for the whole file.
    reads = [s for s in sent if s.lstrip().startswith("SELECT")]
    assert len(reads) == 4, reads
    assert len(numbers_taken) == 1, numbers_taken  # the three new orders' numbers together
    made = [await uow.orders.find_by_external_reference(g.reference) for g in groups[:3]]
    sequences = [int(order.number.rsplit("-", 1)[1]) for order in made if order is not None]
    assert sequences == list(range(sequences[0], sequences[0] + 3))


async def test_a_files_references_are_looked_up_in_one_statement_however_many(
    uow: SqlUnitOfWork,
) -> None:
    customer = Customer(id=new_id(), name="Acme", email=f"{new_id()}@example.com", created_at=T0)
    await uow.customers.add(customer)
    await uow.references.add(imports.CUSTOMER, "ACME-1", customer.id)
    # More than the 32,767 parameters a statement can have: one array, not one parameter each.
    wanted = [f"UNKNOWN-{n}" for n in range(40_000)] + ["ACME-1", customer.id, new_id()]
    with statements(uow) as sent:
        known = await uow.references.known(imports.CUSTOMER, wanted)
        of_ids = await uow.references.of_entities(imports.CUSTOMER, [customer.id, new_id()])
    assert known == {"ACME-1": customer.id, customer.id: customer.id}  # a customer's id names it
    assert of_ids == {customer.id: "ACME-1"}
    assert len(sent) == 3, sent  # the references, the ids among them, the ids' references
