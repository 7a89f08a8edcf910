"""The inventory service against a real Kafka broker and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Collection
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType
from contracts.common import CustomerRef, ItemKind, OrderLine, OrderSnapshot, PaymentTerms, Totals
from contracts.events import OrderCancelled
from inventory.adapters.reservations import SqlReservationRepository
from inventory.adapters.tables import order_demands, reservation_lines, stock_levels
from inventory.adapters.transaction import in_transaction
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.domain.commands import AdjustStock
from inventory.domain.model import AdjustmentKind
from inventory.domain.records import Adjustment
from inventory.entrypoints.cli import MIGRATIONS_DIR
from inventory.entrypoints.handlers import handle_order_cancelled, handle_order_confirmed
from inventory.service_layer import stock
from servicekit import dlq
from servicekit.http import encode_cursor
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    bearer,
    eventually,
    from_orders,
    order_event,
    service_with_input,
    settings_for_test,
)
from servicekit.unit_of_work import run_at_commit

D = Decimal
GROUP = "inventory"  # the consumer group, after the topic prefix


class Harness:
    """The running service, a producer onto orders.events, and readers of what came out."""

    def __init__(
        self,
        runtime: Runtime,
        client: httpx.AsyncClient,
        kafka: KafkaSettings,
        producer: AIOKafkaProducer,
    ) -> None:
        self.runtime = runtime
        self.client = client
        self.kafka = kafka
        self.producer = producer
        self.published = 0

    async def publish(self, *events: CloudEvent[Any]) -> None:
        for event in events:
            await self.producer.send_and_wait(
                self.kafka.topic("orders.events"),
                value=event.model_dump_json().encode(),
                key=str(event.subject).encode(),
            )
            self.published += 1

    async def all_consumed(self) -> bool:
        """The consumer group committed offsets past everything published so far."""
        admin = AIOKafkaAdminClient(**self.kafka.client_options())
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.kafka.topic_prefix + GROUP)
        finally:
            await admin.close()
        topic = self.kafka.topic("orders.events")
        committed: int = sum(
            m.offset for tp, m in offsets.items() if tp.topic == topic and m.offset > 0
        )
        return committed >= self.published

    async def settled(self) -> None:
        """Everything published was consumed, and every event it caused was published."""
        await eventually(self.all_consumed, within=30)
        outbox = self.runtime.metadata.tables["outbox"]

        async def drained() -> bool:
            async with self.runtime.sessionmaker() as session:
                pending = await session.execute(
                    select(func.count()).where(outbox.c.published_at.is_(None))
                )
                return pending.scalar_one() == 0

        await eventually(drained, within=20)

    async def events(self, event_type: EventType | None = None) -> list[dict[str, Any]]:
        records = await dlq.read_topic(
            self.kafka, self.kafka.topic("inventory.events"), wait_seconds=3
        )
        found = [{**json.loads(r.value), "key": r.key.decode()} for r in records]
        return [e for e in found if event_type is None or e["type"] == event_type.value]

    async def events_of(self, order_id: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until `count` events about the order were published; returns them."""

        async def probe() -> list[dict[str, Any]] | None:
            found = [e for e in await self.events() if e["subject"] == order_id]
            return found if len(found) >= count else None

        result: list[dict[str, Any]] = await eventually(probe, within=20, interval=0.3)
        return result

    async def product(self, sku: str, on_hand: str = "0", kind: str = "product") -> None:
        created = await self.client.put(f"/products/{sku}", json={"name": sku, "kind": kind})
        assert created.status_code == 201, created.text
        if D(on_hand) > 0:
            receipt = await self.adjust(sku, "receipt", on_hand, "initial stock")
            assert receipt.status_code == 201, receipt.text

    async def adjust(self, sku: str, kind: str, quantity: str, reason: str) -> httpx.Response:
        return await self.client.post(
            "/stock/adjustments",
            json={"sku": sku, "kind": kind, "quantity": quantity, "reason": reason},
        )

    async def stock(self, sku: str) -> dict[str, Decimal]:
        response = await self.client.get(f"/stock/{sku}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["sku"] == sku
        return {k: D(v) for k, v in body.items() if k != "sku"}

    async def reservations(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.client.get("/reservations", params={"order_id": order_id})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def ship(
        self, order_id: str, lines: list[tuple[str, str]], key: str | None = None
    ) -> httpx.Response:
        return await self.client.post(
            "/shipments",
            json={"order_id": order_id, "lines": [{"sku": s, "quantity": q} for s, q in lines]},
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
        )


@pytest.fixture
async def inventory(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Harness]:
    settings = await settings_for_test(InventorySettings, databases, kafka, "inventory")
    spec = build_spec(settings)
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield Harness(runtime, client, kafka, producer)


def sku(label: str = "P") -> str:
    return f"{label}-{uuid.uuid4().hex[:6].upper()}"


def confirmed(lines: list[tuple[str, str, str]], order_id: str | None = None) -> CloudEvent[Any]:
    """suite.order.confirmed.v1 for an order with (sku, kind, quantity) lines."""
    order_id = order_id or str(uuid.uuid4())
    one = D("1.00")
    snapshot = OrderSnapshot(
        order_id=order_id,
        number=f"SO-{order_id[:8]}",
        customer=CustomerRef(id="c-1", name="Acme"),
        order_date=date(2026, 1, 15),
        currency="EUR",
        payment_terms=PaymentTerms(),
        lines=[
            OrderLine(
                line_no=n,
                sku=code,
                kind=ItemKind(kind),
                description=code,
                quantity=D(q),
                unit_price=one,
                tax_rate=D(0),
                net_amount=one,
                tax_amount=D(0),
                gross_amount=one,
            )
            for n, (code, kind, q) in enumerate(lines, start=1)
        ],
        totals=Totals(net=one, tax=D(0), gross=one),
    )
    return order_event(EventType.ORDER_CONFIRMED, snapshot)


def cancelled(order_id: str) -> CloudEvent[Any]:
    cancellation = OrderCancelled(
        order_id=order_id, number=f"SO-{order_id[:8]}", reason="test", previous_status="open"
    )
    return from_orders(EventType.ORDER_CANCELLED, cancellation, order_id)


def again(event: CloudEvent[Any]) -> CloudEvent[Any]:
    """The same business fact under a new event id (a producer that sent it twice)."""
    return event.model_copy(update={"id": str(uuid.uuid4())})


def lines_of(event: dict[str, Any]) -> dict[str, Decimal]:
    return {line["sku"]: D(line["quantity"]) for line in event["data"]["lines"]}


async def test_confirmed_order_with_stock_is_reserved_once(inventory: Harness) -> None:
    bolts, nuts, install = sku("BOLT"), sku("NUT"), sku("INSTALL")
    await inventory.product(bolts, "10")
    await inventory.product(nuts, "5")
    await inventory.product(install, kind="service")
    order = confirmed(
        [
            (bolts, "product", "3"),
            (nuts, "product", "2.5"),
            (bolts, "product", "1"),
            (install, "product", "1"),  # the catalogue knows it as a service: skipped
            ("TRAVEL", "service", "1"),
        ]
    )
    await inventory.publish(order)

    [reserved] = await inventory.events_of(str(order.subject))
    assert reserved["type"] == EventType.STOCK_RESERVED.value
    assert reserved["key"] == order.subject
    assert reserved["correlationid"] == order.correlationid
    assert reserved["causationid"] == order.id
    assert lines_of(reserved) == {bolts: D("4"), nuts: D("2.5")}
    assert await inventory.stock(bolts) == {
        "on_hand": D("10"),
        "reserved": D("4"),
        "available": D("6"),
    }
    items = await inventory.reservations(str(order.subject))
    assert {(i["sku"], i["quantity"], i["status"]) for i in items} == {
        (bolts, "4", "reserved"),
        (nuts, "2.5", "reserved"),
    }
    ledger = (await inventory.client.get(f"/stock/{bolts}/movements")).json()["items"]
    assert [(m["kind"], m["quantity_change"], m["on_hand"], m["reserved"]) for m in ledger] == [
        ("receipt", "10", "10", "0"),
        ("reservation", "4", "10", "4"),
    ]
    assert ledger[1]["reference"] == order.subject

    # The same event redelivered, and the same fact under another event id: nothing changes.
    services_only = confirmed([("TRAVEL", "service", "2")])
    await inventory.publish(order, again(order), services_only)
    await inventory.settled()
    assert (await inventory.stock(bolts))["reserved"] == D("4")
    assert len(await inventory.reservations(str(order.subject))) == 2
    about_order = [e for e in await inventory.events() if e["subject"] == order.subject]
    assert len(about_order) == 1
    assert not [e for e in await inventory.events() if e["subject"] == services_only.subject]
    async with inventory.runtime.sessionmaker() as session:
        demands = (await session.execute(select(func.count()).select_from(order_demands))).scalar()
    assert demands == 1  # the services-only order was not even recorded


async def test_shortage_backorders_until_a_receipt_reserves(inventory: Harness) -> None:
    scarce, plenty = sku("SCARCE"), sku("PLENTY")
    await inventory.product(scarce, "3")
    await inventory.product(plenty, "50")
    order = confirmed(
        [(plenty, "product", "5"), (scarce, "product", "5"), ("GHOST-1", "product", "1")]
    )
    await inventory.publish(order)

    [failed] = await inventory.events_of(str(order.subject))
    assert failed["type"] == EventType.STOCK_RESERVATION_FAILED.value
    assert failed["data"]["shortages"] == [
        {"sku": "GHOST-1", "requested": "1", "available": "0"},
        {"sku": scarce, "requested": "5", "available": "3"},
    ]
    assert (await inventory.stock(plenty))["reserved"] == D("0")  # nothing reserved at all
    assert (await inventory.stock(scarce))["reserved"] == D("0")
    statuses = {i["sku"]: i["status"] for i in await inventory.reservations(str(order.subject))}
    assert statuses == {plenty: "backordered", scarce: "backordered", "GHOST-1": "backordered"}

    # The unknown SKU becomes a product and arrives; the scarce one arrives too.
    await inventory.product("GHOST-1", "1")
    assert len(await inventory.events_of(str(order.subject))) == 1  # still short of `scarce`
    receipt = await inventory.adjust(scarce, "receipt", "2", "supplier delivery")
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["reserved"] == "5"  # the backorder took it in the same transaction
    assert receipt.json()["available"] == "0"

    events = await inventory.events_of(str(order.subject), count=2)
    assert events[1]["type"] == EventType.STOCK_RESERVED.value
    assert lines_of(events[1]) == {"GHOST-1": D("1"), plenty: D("5"), scarce: D("5")}
    assert events[1]["correlationid"] == order.correlationid
    statuses = {i["sku"]: i["status"] for i in await inventory.reservations(str(order.subject))}
    assert set(statuses.values()) == {"reserved"}
    assert await inventory.stock(plenty) == {
        "on_hand": D("50"),
        "reserved": D("5"),
        "available": D("45"),
    }
    adjusted = [
        e for e in await inventory.events(EventType.STOCK_ADJUSTED) if e["subject"] == scarce
    ]
    assert [(e["key"], e["data"]["kind"], e["data"]["on_hand"]) for e in adjusted] == [
        (scarce, "receipt", "3"),
        (scarce, "receipt", "5"),
    ]
    assert {e["actor"] for e in adjusted} == {"test-admin"}  # who made the change


async def test_cancellation_releases_and_serves_the_waiting_order(inventory: Harness) -> None:
    code = sku("CANCEL")
    await inventory.product(code, "10")
    before = await inventory.stock(code)
    first, waiting, never = (
        confirmed([(code, "product", "8")]),
        confirmed([(code, "product", "5")]),
        confirmed([(code, "product", "50")]),
    )
    await inventory.publish(first)
    await inventory.events_of(str(first.subject))
    await inventory.publish(waiting, never)
    [short] = await inventory.events_of(str(waiting.subject))
    assert short["type"] == EventType.STOCK_RESERVATION_FAILED.value

    await inventory.publish(cancelled(str(never.subject)), cancelled(str(first.subject)))
    released = (await inventory.events_of(str(first.subject), count=2))[1]
    assert released["type"] == EventType.STOCK_RELEASED.value
    assert lines_of(released) == {code: D("8")}
    # The freed stock goes to the order that was waiting for it.
    served = (await inventory.events_of(str(waiting.subject), count=2))[1]
    assert served["type"] == EventType.STOCK_RESERVED.value
    await inventory.settled()
    assert await inventory.reservations(str(never.subject)) == []  # backorder dropped
    assert [e["type"] for e in await inventory.events() if e["subject"] == never.subject] == [
        EventType.STOCK_RESERVATION_FAILED.value  # nothing released, so no stock.released
    ]
    [line] = await inventory.reservations(str(first.subject))
    assert (line["status"], line["released_quantity"]) == ("released", "8")

    await inventory.publish(cancelled(str(waiting.subject)), again(first))  # late duplicate
    await inventory.settled()
    assert await inventory.stock(code) == before
    kinds = [
        m["kind"] for m in (await inventory.client.get(f"/stock/{code}/movements")).json()["items"]
    ]
    assert kinds == ["receipt", "reservation", "release", "reservation", "release"]


async def test_a_release_started_again_after_its_writes_takes_effect_once(
    inventory: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A cancellation's unlocked read misses an order that waits for one more SKU (as when the
    order is backordered meanwhile): the attempt releases, writes, then finds under its locks
    that it must lock that SKU too, and starts again. Its savepoint undoes the first attempt's
    writes, so the release, its movement and its event happen once."""
    freed, missing = sku("FREED"), sku("MISSING")
    await inventory.product(freed, "1")
    await inventory.product(missing)
    first = confirmed([(freed, "product", "1")])
    waiting = confirmed([(freed, "product", "1"), (missing, "product", "1")])
    await inventory.publish(first)
    await inventory.events_of(str(first.subject))
    await inventory.publish(waiting)
    [short] = await inventory.events_of(str(waiting.subject))
    assert short["type"] == EventType.STOCK_RESERVATION_FAILED.value
    await inventory.settled()

    real = SqlReservationRepository.skus_waited_with
    reads: list[set[str]] = []

    async def first_read_misses_the_waiting_order(
        self: SqlReservationRepository, skus: Collection[str]
    ) -> set[str]:
        found = await real(self, skus)
        reads.append(found)
        return set() if len(reads) == 1 else found

    monkeypatch.setattr(
        SqlReservationRepository, "skus_waited_with", first_read_misses_the_waiting_order
    )
    caplog.set_level(logging.INFO, logger="inventory.service_layer.locking")
    await inventory.publish(cancelled(str(first.subject)))
    await inventory.settled()

    # Started again: the attempt's own read under the locks saw the waiting order.
    assert any("starting again with more locks" in r.getMessage() for r in caplog.records)
    assert len(reads) >= 2  # the missed read, the second attempt's
    assert [e["type"] for e in await inventory.events() if e["subject"] == first.subject] == [
        EventType.STOCK_RESERVED.value,
        EventType.STOCK_RELEASED.value,
    ]
    [line] = await inventory.reservations(str(first.subject))
    assert (line["status"], line["released_quantity"]) == ("released", "1")
    assert (await inventory.stock(freed))["reserved"] == 0
    kinds = [
        m["kind"] for m in (await inventory.client.get(f"/stock/{freed}/movements")).json()["items"]
    ]
    assert kinds == ["receipt", "reservation", "release"]
    # The waiting order still waits: one of its SKUs has no stock.
    assert [e["type"] for e in await inventory.events() if e["subject"] == waiting.subject] == [
        EventType.STOCK_RESERVATION_FAILED.value
    ]
    assert all(skus == {freed, missing} for skus in reads)  # and was seen so each time


async def test_inventorys_connections_plan_each_statement_once(inventory: Harness) -> None:
    """Its statements find rows by keys and arrays of keys: generic plans, made once per
    connection, instead of a plan per shipment (ADR 59)."""
    async with inventory.runtime.engine.connect() as connection:
        assert await connection.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"


async def test_partial_then_full_shipment_and_over_shipping(inventory: Harness) -> None:
    bolts, nuts = sku("BOLT"), sku("NUT")
    await inventory.product(bolts, "100")
    await inventory.product(nuts, "50")
    order = confirmed([(bolts, "product", "10"), (nuts, "product", "4")])
    order_id = str(order.subject)
    await inventory.publish(order)
    await inventory.events_of(order_id)

    first = await inventory.ship(order_id, [(bolts, "6")], key="ship-1")
    assert first.status_code == 201, first.text
    assert first.json()["fully_shipped"] is False
    retried = await inventory.ship(order_id, [(bolts, "6")], key="ship-1")
    assert retried.status_code == 201
    assert retried.json() == first.json()  # the first response; nothing shipped twice

    over = await inventory.ship(order_id, [(nuts, "1"), (bolts, "4.5")])
    assert over.status_code == 409, over.text
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["sku"] == bolts
    assert bolts in over.json()["detail"]
    assert await inventory.stock(bolts) == {
        "on_hand": D("94"),
        "reserved": D("4"),
        "available": D("90"),
    }
    assert (await inventory.stock(nuts))["reserved"] == D("4")
    unreserved = await inventory.ship(order_id, [("NOT-ON-ORDER", "1")])
    assert (unreserved.status_code, unreserved.json()["sku"]) == (409, "NOT-ON-ORDER")

    second = await inventory.ship(order_id, [(bolts, "4"), (nuts, "4")])
    assert second.status_code == 201, second.text
    assert second.json()["fully_shipped"] is True
    assert await inventory.stock(bolts) == {
        "on_hand": D("90"),
        "reserved": D("0"),
        "available": D("90"),
    }
    statuses = {i["sku"]: i["status"] for i in await inventory.reservations(order_id)}
    assert statuses == {bolts: "shipped", nuts: "shipped"}

    listed = (await inventory.client.get("/shipments", params={"order_id": order_id})).json()
    assert [s["id"] for s in listed["items"]] == [first.json()["id"], second.json()["id"]]
    one = await inventory.client.get(f"/shipments/{second.json()['id']}")
    assert one.json()["lines"] == [{"sku": bolts, "quantity": "4"}, {"sku": nuts, "quantity": "4"}]

    events = await inventory.events_of(order_id, count=3)
    dispatched = [e for e in events if e["type"] == EventType.SHIPMENT_DISPATCHED.value]
    assert [(e["data"]["fully_shipped"], e["key"]) for e in dispatched] == [
        (False, order_id),
        (True, order_id),
    ]
    assert dispatched[0]["data"]["shipment_id"] == first.json()["id"]
    assert (await inventory.ship(order_id, [(nuts, "0.001")])).status_code == 409


async def test_concurrent_confirmations_never_oversell(inventory: Harness) -> None:
    """20 orders at once against 10 units, through the service layer in parallel sessions."""
    widget, gadget = sku("WIDGET"), sku("GADGET")
    await inventory.product(widget, "10")
    await inventory.product(gadget, "6")
    orders = []
    for i in range(20):
        lines = [(widget, "product", str(1 + i % 3))]
        if i % 4 == 0:  # some need both, listed in reverse SKU order
            lines = sorted([(gadget, "product", "2"), *lines], reverse=True)
        orders.append(confirmed(lines))

    async def confirm(event: CloudEvent[Any]) -> None:
        async with inventory.runtime.sessionmaker() as session, session.begin():
            await handle_order_confirmed(event, session)
            await run_at_commit(session)  # as the consumer does before it commits

    await asyncio.gather(*(confirm(event) for event in orders))
    await assert_consistent(inventory, [widget, gadget], orders)
    available = (await inventory.stock(widget))["available"]
    assert D(0) <= available < D(3)  # else a waiting widget-only order would have fitted

    # The same through Kafka: across partitions, two consumer replicas, duplicates included.
    replica = Runtime(inventory.runtime.spec, api=False, worker=True)
    await replica.start()
    try:
        part = sku("PART")
        await inventory.product(part, "7")
        more = [confirmed([(part, "product", str(1 + i % 2))]) for i in range(12)]
        await inventory.publish(*more, *more[:2], *(again(e) for e in more[2:5]))
        await inventory.settled()
    finally:
        await replica.stop()
    await assert_consistent(inventory, [part], more)
    outcomes = [e for e in await inventory.events() if e["subject"] in {o.subject for o in more}]
    assert len(outcomes) == len(more)  # one outcome per order, duplicates absorbed


async def test_mixed_concurrent_traffic_keeps_the_books(
    inventory: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Confirmations, receipts and cancellations over shared SKUs, all at once, no deadlock."""
    caplog.set_level(logging.WARNING, logger="inventory")
    rnd = random.Random(20)
    codes = [sku(f"MIX{i}") for i in range(5)]
    for code in codes:
        await inventory.product(code, "6")
    orders = [
        confirmed(
            [(c, "product", str(rnd.randint(1, 3))) for c in rnd.sample(codes, rnd.randint(1, 3))]
        )
        for _ in range(40)
    ]
    withdrawn = orders[::4]
    sessions = inventory.runtime.sessionmaker

    async def confirm(event: CloudEvent[Any]) -> None:
        await in_transaction(sessions, lambda s: handle_order_confirmed(event, s))

    async def cancel(event: CloudEvent[Any]) -> None:
        await asyncio.sleep(rnd.random() * 0.2)
        await in_transaction(sessions, lambda s: handle_order_cancelled(cancelled_of(event), s))

    async def receive(code: str) -> None:
        await asyncio.sleep(rnd.random() * 0.2)
        await in_transaction(
            sessions,
            lambda s: stock.adjust_stock(
                SqlUnitOfWork(s),
                AdjustStock(
                    sku=code, kind=AdjustmentKind.RECEIPT, quantity=D(2), reason="delivery"
                ),
            ),
        )

    await asyncio.gather(
        *(confirm(e) for e in orders),
        *(cancel(e) for e in withdrawn),
        *(receive(rnd.choice(codes)) for _ in range(15)),
    )

    async with sessions() as session:
        levels = {
            row.sku: row
            for row in await session.execute(
                select(stock_levels).where(stock_levels.c.sku.in_(codes))
            )
        }
        lines = (await session.execute(select(reservation_lines))).all()
        statuses = dict(
            (await session.execute(select(order_demands.c.order_id, order_demands.c.status))).all()
        )
    assert {statuses[str(e.subject)] for e in withdrawn} == {"cancelled"}
    for code, level in levels.items():
        assert D(0) <= level.reserved <= level.on_hand, code
        held = sum(
            (line.quantity - line.shipped_quantity - line.released_quantity)
            for line in lines
            if line.sku == code and line.status == "reserved"
        )
        assert held == level.reserved, code
    waiting: dict[str, dict[str, Decimal]] = {}
    for line in lines:
        if statuses[line.order_id] == "backordered":
            assert line.status == "backordered"
            waiting.setdefault(line.order_id, {})[line.sku] = line.quantity
        elif statuses[line.order_id] == "reserved":
            assert line.status == "reserved"
    assert not [r.getMessage() for r in caplog.records if "rerunning" in r.getMessage()]
    assert waiting, "expected some orders to wait for stock"
    for order_id, demand in waiting.items():  # every increase retried them: none fits now
        fits = all(q <= levels[c].on_hand - levels[c].reserved for c, q in demand.items())
        assert not fits, order_id


async def test_an_order_backordered_while_a_receipt_waits_is_still_served(
    inventory: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The receipt learns of the order only under its lock, and locks the order's SKUs anew."""
    caplog.set_level(logging.INFO, logger="inventory.service_layer.locking")
    missing, present = sku("MISSING"), sku("PRESENT")
    await inventory.product(missing)
    await inventory.product(present, "5")
    order = confirmed([(present, "product", "1"), (missing, "product", "1")])
    sessions = inventory.runtime.sessionmaker

    def receive(session: AsyncSession) -> Awaitable[Adjustment]:
        return stock.adjust_stock(
            SqlUnitOfWork(session),
            AdjustStock(sku=missing, kind=AdjustmentKind.RECEIPT, quantity=D(1), reason="delivery"),
        )

    async with sessions() as first, first.begin():
        await handle_order_confirmed(order, first)  # backordered; holds both stock rows
        receipt = asyncio.create_task(in_transaction(sessions, receive))
        await asyncio.sleep(0.5)
        assert not receipt.done()  # waiting for the stock row the confirmation holds
    adjustment = await asyncio.wait_for(receipt, 10)

    assert adjustment.reserved_orders == (order.subject,)
    assert any("starting again" in r.getMessage() for r in caplog.records)
    assert (await inventory.stock(present))["reserved"] == D(1)
    assert {i["status"] for i in await inventory.reservations(str(order.subject))} == {"reserved"}


def cancelled_of(event: CloudEvent[Any]) -> CloudEvent[Any]:
    return cancelled(str(event.subject))


async def assert_consistent(
    inventory: Harness, skus: list[str], orders: list[CloudEvent[Any]]
) -> None:
    """Levels within bounds; each order reserved whole or backordered; sums match the levels."""
    async with inventory.runtime.sessionmaker() as session:
        levels = {
            row.sku: row
            for row in await session.execute(
                select(stock_levels).where(stock_levels.c.sku.in_(skus))
            )
        }
        lines = (
            await session.execute(
                select(reservation_lines).where(
                    reservation_lines.c.order_id.in_([str(o.subject) for o in orders])
                )
            )
        ).all()
    for code in skus:
        level = levels[code]
        assert D(0) <= level.reserved <= level.on_hand, code
        held = sum(
            (line.quantity for line in lines if line.sku == code and line.status == "reserved"),
            D(0),
        )
        assert held == level.reserved, code
    by_order: dict[str, set[str]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, set()).add(line.status)
    assert set(by_order) == {str(o.subject) for o in orders}  # every order ended somewhere
    assert all(statuses in ({"reserved"}, {"backordered"}) for statuses in by_order.values())
    assert {"reserved"} in by_order.values()
    assert {"backordered"} in by_order.values()


async def test_catalogue_and_adjustment_validation(inventory: Harness) -> None:
    client = inventory.client
    code = sku("CAT")
    created = await client.put(f"/products/{code}", json={"name": "Cable", "kind": "product"})
    assert created.status_code == 201
    updated = await client.put(
        f"/products/{code}", json={"name": "Cable 2m", "kind": "product", "description": "Black"}
    )
    assert updated.status_code == 200
    assert updated.json()["created_at"] == created.json()["created_at"]
    assert (await client.get(f"/products/{code}")).json()["name"] == "Cable 2m"
    assert (await client.get("/products/NOPE")).status_code == 404
    await inventory.product(sku("SRV"), kind="service")
    services = (await client.get("/products", params={"kind": "service"})).json()["items"]
    assert [p["kind"] for p in services] == ["service"]
    found = (await client.get("/products", params={"q": "cable 2"})).json()["items"]
    assert [p["sku"] for p in found] == [code]
    page = (await client.get("/products", params={"limit": 1})).json()
    rest = (
        await client.get("/products", params={"limit": 1, "cursor": page["next_cursor"]})
    ).json()
    assert page["items"][0]["sku"] < rest["items"][0]["sku"]

    invalid = await client.post(
        "/stock/adjustments", json={"sku": code, "kind": "receipt", "quantity": "0", "reason": ""}
    )
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in invalid.json()["errors"]} == {"body.quantity", "body.reason"}
    unknown = await inventory.adjust("NOPE", "receipt", "1", "delivery")
    assert unknown.status_code == 404
    assert (await inventory.adjust(services[0]["sku"], "receipt", "1", "x")).status_code == 409
    assert (await client.get(f"/stock/{services[0]['sku']}")).status_code == 404  # not stocked

    body = {"sku": code, "kind": "receipt", "quantity": "5", "reason": "delivery"}
    headers = {"Idempotency-Key": "receipt-1"}
    first = await client.post("/stock/adjustments", json=body, headers=headers)
    retried = await client.post("/stock/adjustments", json=body, headers=headers)
    assert first.status_code == retried.status_code == 201
    assert first.json() == retried.json()
    too_much = await inventory.adjust(code, "damage", "6", "dropped")
    assert too_much.status_code == 409
    counted = await inventory.adjust(code, "count_correction", "0", "stocktake")
    assert counted.status_code == 201, counted.text
    assert (counted.json()["quantity_change"], counted.json()["on_hand"]) == ("-5", "0")
    assert await inventory.stock(code) == {"on_hand": D(0), "reserved": D(0), "available": D(0)}
    viewer, sales = bearer("viewer"), bearer("sales")
    assert (await client.get(f"/stock/{code}", headers=viewer)).status_code == 200
    assert (await client.post("/stock/adjustments", json=body, headers=sales)).status_code == 403
    assert (
        await client.put(f"/products/{code}", json={"name": "X", "kind": "product"}, headers=viewer)
    ).status_code == 403
    assert (await client.get(f"/stock/{code}", headers={"Authorization": ""})).status_code == 401
    warehouse = await client.post(
        "/stock/adjustments", json={**body, "quantity": "1"}, headers=bearer("warehouse")
    )
    assert warehouse.status_code == 201, warehouse.text
    await inventory.adjust(code, "count_correction", "0", "stocktake")
    to_service = await client.put(f"/products/{code}", json={"name": "Cable", "kind": "service"})
    assert to_service.status_code == 200  # no stock left: it may become a service


async def test_lists_refuse_foreign_cursors_and_unstorable_filters(inventory: Harness) -> None:
    client = inventory.client
    products_cursor = encode_cursor({"sku": "A"})
    for path in ("/products", "/reservations", "/shipments", f"/stock/{sku('X')}/movements"):
        for cursor in ("not-base64!", encode_cursor({"other": 1})):
            refused = await client.get(path, params={"cursor": cursor})
            assert refused.status_code == 422, (path, refused.text)
            assert [e["field"] for e in refused.json()["errors"]] == ["query.cursor"]
    assert (await client.get("/products", params={"cursor": products_cursor})).status_code == 200
    for path, name in (("/products", "q"), ("/reservations", "sku"), ("/shipments", "order_id")):
        refused = await client.get(path, params={name: "a\x00b"})
        assert refused.status_code == 422, (path, refused.text)


async def test_catalogue_details_events_and_stock_at_a_glance(inventory: Harness) -> None:
    client = inventory.client
    code, other = sku("GL"), sku("GL")
    entry = {
        "name": "Hex bolt M8",
        "kind": "product",
        "list_prices": [
            {"currency": "JPY", "amount": "55.5"},
            {"currency": "EUR", "amount": "0.35"},
        ],
        "unit_of_measure": "pcs",
        "barcode": "4006-3813-3393-1",
    }
    created = await client.put(f"/products/{code}", json=entry)
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["list_prices"] == [
        {"currency": "EUR", "amount": "0.35"},
        {"currency": "JPY", "amount": "56"},  # to the yen
    ]
    assert (product["barcode"], product["unit_of_measure"], product["active"]) == (
        "4006381333931",
        "pcs",
        True,
    )
    for bad, field in (
        ({"barcode": "4006381333932"}, "body.barcode"),
        ({"list_prices": [{"currency": "EUR", "amount": "1"}] * 2}, "body.list_prices.1.currency"),
        ({"list_prices": [{"currency": "ZZZ", "amount": "1"}]}, "body.list_prices.0.currency"),
    ):
        refused = await client.put(f"/products/{code}", json={**entry, **bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    assert (await client.get(f"/products/{code}")).json()["barcode"] == "4006381333931"
    await client.put(
        f"/products/{other}", json={"name": "Washer", "kind": "product", "active": False}
    )
    by_barcode = (await client.get("/products", params={"q": "4006381333931"})).json()["items"]
    assert [p["sku"] for p in by_barcode] == [code]
    inactive = (await client.get("/products", params={"active": "false"})).json()["items"]
    assert other in [p["sku"] for p in inactive]
    assert code not in [p["sku"] for p in inactive]

    assert (await inventory.adjust(code, "receipt", "10", "delivery")).status_code == 201
    assert (await inventory.adjust(other, "receipt", "2", "delivery")).status_code == 201
    order = confirmed([(code, "product", "7")])
    await inventory.publish(order)
    await inventory.events_of(order.subject or "")

    stock = (await client.get("/stock", params={"q": "GL-"})).json()
    rows = {row["sku"]: row for row in stock["items"]}
    assert rows[code] == {
        "sku": code,
        "name": "Hex bolt M8",
        "warehouse": "MAIN",
        "on_hand": "10",
        "reserved": "7",
        "available": "3",
        "incoming": "0",
        "reorder_point": None,
    }
    low = (await client.get("/stock", params={"q": "GL-", "available_below": "3"})).json()
    assert [row["sku"] for row in low["items"]] == [other]
    page = (await client.get("/stock", params={"q": "GL-", "limit": 1})).json()
    rest = (
        await client.get("/stock", params={"q": "GL-", "limit": 1, "cursor": page["next_cursor"]})
    ).json()
    assert page["items"][0]["sku"] < rest["items"][0]["sku"]
    assert (await client.get("/stock", params={"warehouse": "ELSEWHERE"})).json()["items"] == []

    events = await inventory.events()
    changed = [e for e in events if e["type"] == EventType.PRODUCT_CHANGED and e["subject"] == code]
    assert changed[0]["data"]["list_prices"] == [
        {"currency": "EUR", "amount": "0.35"},
        {"currency": "JPY", "amount": "56"},
    ]
    levels = [
        (e["sequence"], e["data"]["available"])
        for e in events
        if e["type"] == EventType.STOCK_LEVEL_CHANGED and e["subject"] == code
    ]
    assert [available for _, available in sorted(levels)] == ["10", "3"]  # receipt, reservation
