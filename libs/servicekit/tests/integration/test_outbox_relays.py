"""Several outbox relays on one outbox, and parked rows: real Kafka and PostgreSQL (ADR 7)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from servicekit import dlq
from servicekit.db import asyncpg_dsn, make_engine, make_sessionmaker, new_metadata
from servicekit.notify import Listener, wakes_sent
from servicekit.outbox import (
    _NEXT_ROWS,
    _RELAY_SERVER_SETTINGS,
    MAX_EVENT_BYTES,
    NOTIFY_CHANNEL,
    RELAY_LOCK_SPACE,
    RELIABLE_PRODUCER_OPTIONS,
    SHARDS,
    EventTooLarge,
    OutboxRelay,
    add_to_outbox,
    shard_of,
)
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, eventually, run_console_script

ORDERS = 1000
EVENTS_PER_ORDER = 5


@dataclass
class Outbox:
    metadata: MetaData
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    kafka: KafkaSettings
    brokers: list[KafkaBroker] = field(default_factory=list)

    async def broker(self, **options: Any) -> KafkaBroker:
        broker = KafkaBroker(**self.kafka.broker_options(), **RELIABLE_PRODUCER_OPTIONS, **options)
        await broker.start()
        self.brokers.append(broker)
        return broker

    async def relay(
        self, name: str, *, rebalance_interval: float = 0.5, **broker_options: Any
    ) -> OutboxRelay:
        return OutboxRelay(
            service=name,  # the metrics' label: tells the relays apart
            metadata=self.metadata,
            sessionmaker=self.sessionmaker,
            database_url=self.engine.url.render_as_string(hide_password=False),
            broker=await self.broker(**broker_options),
            topic_prefix=self.kafka.topic_prefix,
            poll_interval=0.2,
            gauge_interval=0.2,
            rebalance_interval=rebalance_interval,
        )

    async def unpublished(self) -> int:
        outbox = self.metadata.tables["outbox"]
        async with self.sessionmaker() as session:
            query = select(func.count()).where(outbox.c.published_at.is_(None))
            return int((await session.execute(query)).scalar_one())


@pytest.fixture
async def outbox(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Outbox]:
    metadata = new_metadata()
    engine = make_engine(await databases.create("relays"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    kit = Outbox(metadata, engine, make_sessionmaker(engine), kafka)
    yield kit
    for broker in kit.brokers:
        await broker.stop()
    await engine.dispose()


def step(order_id: str, note: str) -> CloudEvent[Any]:
    return new_event(
        EventType.ORDER_CANCELLED,
        # Not validated: the oversized tests need notes longer than the contract allows.
        OrderCancelled.model_construct(
            order_id=order_id, number="SO-1", reason=note, previous_status="open"
        ),
        source="/tests/relays",
        subject=order_id,
    )


async def write(kit: Outbox, events: list[CloudEvent[Any]], **options: Any) -> None:
    async with kit.sessionmaker() as session, session.begin():
        for event in events:
            await add_to_outbox(session, kit.metadata.tables["outbox"], event, **options)


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, within=within)


def published_by(relay: OutboxRelay) -> float:
    value = REGISTRY.get_sample_value(
        "suite_outbox_published_total", {"service": relay.service, "topic": "orders.events"}
    )
    return value or 0.0


def gauge(name: str, relay: OutboxRelay) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": relay.service})


async def notes_by_order(kit: Outbox) -> dict[str, list[str]]:
    """Each order's notes in the order a consumer first sees them (copies are ignored, as the
    consumers' inboxes ignore them)."""
    records = await dlq.read_topic(kit.kafka, kit.kafka.topic("orders.events"), wait_seconds=20)
    seen: set[str] = set()
    notes: dict[str, list[str]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event = json.loads(record.value)
        if event["id"] not in seen:
            seen.add(event["id"])
            notes[event["subject"]].append(event["data"]["reason"])
    return notes


# A relay in a process of its own, so that it can die by SIGKILL: it says when it has marked rows.
RELAY_PROCESS = """
import asyncio, os, sys
from faststream.kafka import KafkaBroker
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.notify import Listener, wakes_sent
from servicekit.outbox import RELIABLE_PRODUCER_OPTIONS, OutboxRelay
from servicekit.settings import KafkaSettings

class Reporting(OutboxRelay):
    async def _mark_published(self, connection, ids):
        await super()._mark_published(connection, ids)
        print("marked", len(ids), flush=True)

async def main():
    kafka = KafkaSettings()
    broker = KafkaBroker(**kafka.broker_options(), **RELIABLE_PRODUCER_OPTIONS)
    await broker.start()
    url = os.environ["RELAY_DATABASE_URL"]
    engine = make_engine(url)
    relay = Reporting(service="relay-process", metadata=new_metadata(),
        sessionmaker=make_sessionmaker(engine), database_url=url, broker=broker,
        topic_prefix=kafka.topic_prefix, poll_interval=0.2, rebalance_interval=0.5)
    await relay.start()
    print("started", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def relay_process(kit: Outbox) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kit.kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kit.kafka.topic_prefix,
        "RELAY_DATABASE_URL": kit.engine.url.render_as_string(hide_password=False),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RELAY_PROCESS, env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"started\n"
    return process


async def test_two_relays_keep_each_orders_events_in_order_when_one_dies(
    outbox: Outbox,
) -> None:
    first = await outbox.relay("relay-a")
    second = await relay_process(outbox)
    assert second.stdout is not None
    await first.start()
    orders = [str(uuid.uuid4()) for _ in range(ORDERS)]
    try:
        # 50 transactions of 20 orders x 5 steps, the orders' steps interleaved by id.
        for chunk in range(0, ORDERS, 20):
            batch = orders[chunk : chunk + 20]
            await write(outbox, [step(o, str(n)) for n in range(EVENTS_PER_ORDER) for o in batch])
            if chunk == ORDERS // 2:
                # The second relay has published some rows; it dies by SIGKILL, possibly
                # between the broker's acks and its commit.
                line = await asyncio.wait_for(second.stdout.readline(), 20)
                assert line.startswith(b"marked ")
                second.kill()
                await second.wait()
        await eventually(lambda: _none_left(outbox), within=40)
    finally:
        await first.stop()
        if second.returncode is None:
            second.kill()
            await second.wait()

    notes = await notes_by_order(outbox)
    expected = [str(n) for n in range(EVENTS_PER_ORDER)]
    out_of_order = {o: notes[o] for o in orders if notes[o] != expected}
    assert out_of_order == {}, f"{len(out_of_order)} orders out of order or incomplete"
    assert published_by(first) > 0  # the survivor took over the dead relay's shards


async def _none_left(kit: Outbox) -> bool:
    return await kit.unpublished() == 0


async def test_oversized_row_is_parked_and_other_keys_keep_flowing(outbox: Outbox) -> None:
    # The relay's producer takes 50 kB; a 100 kB event is refused before it is sent.
    small = await outbox.relay("relay-small", max_request_size=50_000)
    blocked, other = str(uuid.uuid4()), str(uuid.uuid4())
    await write(outbox, [step(blocked, "big " + "x" * 100_000), step(blocked, "after the big one")])
    await write(outbox, [step(other, f"other-{n}") for n in range(3)])
    await small.start()
    try:
        await eventually(lambda: _published_notes(outbox, other, 3), within=10)
        await until(lambda: gauge("suite_outbox_parked_rows", small) == 1)
        assert await outbox.unpublished() == 2  # the parked row and the one of its key behind it
        assert gauge("suite_outbox_backlog", small) == 1  # the row waiting behind the parked one
        listed = await operator(outbox, "outbox", "--service", "orders")
        assert "orders\tunpublished=1\t" in listed
        assert "\tparked=1" in listed
        assert "MessageSizeTooLargeError" in listed
        parked_id = int(listed.split("parked id=")[1].split("\t")[0])
    finally:
        await small.stop()

    # The operator raises the limit (here: a relay with the default producer) and retries.
    retried = await operator(outbox, "outbox", "retry", "--service", "orders", str(parked_id))
    assert "retried 1 parked row(s)" in retried
    relay = await outbox.relay("relay-default")
    await relay.start()
    try:
        await eventually(lambda: _none_left(outbox), within=10)
    finally:
        await relay.stop()
    notes = await notes_by_order(outbox)
    assert [n[:4] for n in notes[blocked]] == ["big ", "afte"]  # order of the key held
    assert notes[other] == ["other-0", "other-1", "other-2"]


async def _published_notes(kit: Outbox, key: str, count: int) -> bool:
    outbox = kit.metadata.tables["outbox"]
    async with kit.sessionmaker() as session:
        query = select(func.count()).where(outbox.c.key == key, outbox.c.published_at.is_not(None))
        return int((await session.execute(query)).scalar_one()) == count


async def test_gauges_keep_moving_while_kafka_refuses_everything(outbox: Outbox) -> None:
    # Nothing listens on this port: every publication fails, the gauges still follow the table.
    broker = KafkaBroker("127.0.0.1:1", **RELIABLE_PRODUCER_OPTIONS)
    relay = OutboxRelay(
        service="relay-no-kafka",
        metadata=outbox.metadata,
        sessionmaker=outbox.sessionmaker,
        database_url=outbox.engine.url.render_as_string(hide_password=False),
        broker=broker,
        poll_interval=0.2,
        gauge_interval=0.2,
    )
    await relay.start()
    try:
        await write(outbox, [step(str(uuid.uuid4()), "waiting")])
        await until(lambda: gauge("suite_outbox_backlog", relay) == 1)
        first_age = gauge("suite_outbox_oldest_age_seconds", relay)
        assert first_age is not None
        await write(outbox, [step(str(uuid.uuid4()), "waiting too")])
        await until(lambda: gauge("suite_outbox_backlog", relay) == 2)
        assert (gauge("suite_outbox_oldest_age_seconds", relay) or 0) > first_age
    finally:
        await relay.stop()


async def test_record_refuses_an_event_over_the_limit_naming_it(outbox: Outbox) -> None:
    order_id = str(uuid.uuid4())
    with pytest.raises(EventTooLarge) as refused:
        await write(outbox, [step(order_id, "x" * MAX_EVENT_BYTES)])
    assert refused.value.status == 422
    assert refused.value.limit == MAX_EVENT_BYTES
    assert f"{MAX_EVENT_BYTES:,} bytes" in refused.value.detail
    assert await outbox.unpublished() == 0  # nothing written


async def test_keys_spread_over_every_shard_as_python_and_sql_agree(outbox: Outbox) -> None:
    keys = [str(uuid.uuid4()) for _ in range(400)]
    async with outbox.sessionmaker() as session:
        computed = await session.execute(
            text(
                "SELECT key, get_byte(decode(md5(key), 'hex'), 0) % 32"
                " FROM unnest(CAST(:keys AS text[])) AS key"
            ),
            {"keys": keys},
        )
        by_sql = {key: shard for key, shard in computed}
    assert by_sql == {key: shard_of(key) for key in keys}
    assert set(by_sql.values()) == set(range(SHARDS))


async def operator(kit: Outbox, *argv: str) -> str:
    """`suite-ops ...` as an operator runs it, pointed at this test's database as orders'."""
    database_url = kit.engine.url.render_as_string(hide_password=False)
    return await run_console_script(["suite-ops", *argv], {"ORDERS_DATABASE_URL": database_url})


async def test_a_batch_is_three_statements_on_the_relays_connection_without_a_transaction(
    outbox: Outbox,
) -> None:
    """Rows read in one statement, parked in one, marked in one, whatever the batch's size: on
    the relay's own connection, which holds its shards from one batch to the next (ADR 41), and
    outside any transaction. A batch of 150 rows, two of them refused."""
    small = await outbox.relay("relay-statements", rebalance_interval=3600, max_request_size=50_000)
    # A first batch of two rows, one refused: the relay connects and takes its shards (all of
    # them), and asyncpg learns the statements' types.
    refused = [str(uuid.uuid4()) for _ in range(3)]
    await write(outbox, [step(str(uuid.uuid4()), "first"), step(refused[0], "x" * 100_000)])
    assert await small.publish_pending() == 1
    await write(outbox, [step(str(uuid.uuid4()), f"n-{n}") for n in range(148)])
    await write(outbox, [step(key, "big " + "x" * 100_000) for key in refused[1:]])
    statements: list[str] = []
    pooled: list[str] = []

    def count_pooled(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        pooled.append(statement)

    connection = small.connection
    assert connection is not None
    connection.add_query_logger(lambda logged: statements.append(logged.query))
    event.listen(outbox.engine.sync_engine, "before_cursor_execute", count_pooled)
    try:
        assert await small.publish_pending() == 148
    finally:
        event.remove(outbox.engine.sync_engine, "before_cursor_execute", count_pooled)
        await small.stop()
    assert len(statements) == 3, statements  # read rows, park, mark
    assert [s.split()[0] for s in statements] == ["WITH", "UPDATE", "UPDATE"]
    assert pooled == []  # nothing went through the service's pool, no BEGIN, no COMMIT
    table = outbox.metadata.tables["outbox"]
    async with outbox.sessionmaker() as session:
        rows = (
            await session.execute(
                select(table.c.key, table.c.published_at, table.c.failed_at, table.c.error)
            )
        ).all()
    assert sum(row.published_at is not None for row in rows) == 1 + 148
    parked = {row.key: row.error for row in rows if row.failed_at is not None}
    assert set(parked) == set(refused)
    assert all(error.startswith("MessageSizeTooLargeError") for error in parked.values())


async def test_a_batch_behind_a_backlog_costs_the_backlog_not_the_backlog_times_the_batch(
    outbox: Outbox,
) -> None:
    """The relay plans its statements once per connection, generically, typically when almost
    nothing waits: statistics taken over published rows make the planner expect one unpublished
    row. A batch of 500 behind 2,000 waiting rows (one of their keys parked) must still read
    fewer buffers than there are waiting rows (looking up parked rows per candidate read every
    waiting row again for each of the 500: 105,135 buffers), and skip the parked key's rows."""
    await write(outbox, [step(str(uuid.uuid4()), f"old-{n}") for n in range(300)])
    async with outbox.engine.begin() as connection:
        await connection.execute(text("UPDATE outbox SET published_at = now()"))
    async with outbox.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE outbox"))
    keys = [str(uuid.uuid4()) for _ in range(100)]
    await write(outbox, [step(keys[n % 100], f"waiting-{n}") for n in range(2000)])
    async with outbox.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE outbox SET failed_at = now(), error = 'refused' WHERE id ="
                " (SELECT min(id) FROM outbox WHERE key = :key AND published_at IS NULL)"
            ),
            {"key": keys[7]},
        )
    relay_like = await asyncpg.connect(
        asyncpg_dsn(outbox.engine.url.render_as_string(hide_password=False)),
        server_settings=_RELAY_SERVER_SETTINGS,
    )
    every_shard = list(range(SHARDS))
    try:
        explained = await relay_like.fetchval(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + _NEXT_ROWS, every_shard, 500
        )
        publishable = await relay_like.fetch(_NEXT_ROWS, every_shard, 5000)
    finally:
        await relay_like.close()
    plan = json.loads(explained)[0]["Plan"]
    assert plan["Actual Rows"] == 500
    buffers = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
    assert buffers < 2000, f"{buffers} buffers for a batch of 500 behind 2,000 waiting rows"
    # Everything but the parked key's 20 rows (the parked one and the 19 behind it), in id order.
    assert len(publishable) == 1980
    assert keys[7] not in {row["key"] for row in publishable}
    ids = [row["id"] for row in publishable]
    assert ids == sorted(ids)


async def test_the_relays_connection_plans_its_marking_once(outbox: Outbox) -> None:
    """The marking's plan depends on how many ids it is given, so PostgreSQL would plan it again
    for every batch, forever; the relay's connection plans it once (ADR 59). Seven batches."""
    relay = await outbox.relay("relay-plans", rebalance_interval=3600)
    try:
        for n in range(7):
            await write(outbox, [step(str(uuid.uuid4()), f"n-{n}") for _ in range(n % 3 + 1)])
            assert await relay.publish_pending() == n % 3 + 1
        connection = relay.connection
        assert connection is not None
        plans = await connection.fetch(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE 'UPDATE outbox SET published_at%'"
        )
    finally:
        await relay.stop()
    assert [(row["generic_plans"], row["custom_plans"]) for row in plans] == [(7, 0)]


async def shards_held(kit: Outbox, relay: OutboxRelay) -> set[int]:
    """The shards whose advisory lock the relay's connection holds, as PostgreSQL sees them."""
    connection = relay.connection
    if connection is None:
        return set()
    async with kit.sessionmaker() as session:
        held = await session.execute(
            text(
                "SELECT CAST(objid AS integer) FROM pg_locks WHERE locktype = 'advisory'"
                " AND granted AND pid = :pid AND classid = CAST(:space AS oid)"
                " AND objid < CAST(:shards AS oid) AND objsubid = 2"
            ),
            {"pid": connection.get_server_pid(), "space": RELAY_LOCK_SPACE, "shards": SHARDS},
        )
        return set(held.scalars())


async def test_relays_split_the_shards_and_take_over_those_of_one_that_stops(
    outbox: Outbox,
) -> None:
    first = await outbox.relay("relay-first", rebalance_interval=0.1)
    second = await outbox.relay("relay-second", rebalance_interval=0.1)
    try:
        await first.publish_pending()
        assert await shards_held(outbox, first) == set(range(SHARDS))  # alone: all of them
        await second.publish_pending()
        assert await shards_held(outbox, second) == set()  # none free yet

        async def split() -> bool:
            await asyncio.sleep(0.1)  # past each relay's next check of its share
            await first.publish_pending()  # gives back the shards above its share
            await second.publish_pending()  # takes free ones up to its share
            return len(await shards_held(outbox, second)) == SHARDS // 2

        await eventually(split, within=10)
        one, other = await shards_held(outbox, first), await shards_held(outbox, second)
        assert len(one) == SHARDS // 2
        assert one.isdisjoint(other)
        assert one | other == set(range(SHARDS))

        await second.stop()  # closes its connection: its locks and its presence go with it

        async def taken_over() -> bool:
            await asyncio.sleep(0.1)
            await first.publish_pending()
            return await shards_held(outbox, first) == set(range(SHARDS))

        await eventually(taken_over, within=10)
    finally:
        await first.stop()
        await second.stop()


async def test_a_relay_holding_every_shard_is_woken_by_its_process_without_a_notify(
    outbox: Outbox,
) -> None:
    notified = asyncio.Queue[None]()
    listener = Listener(
        outbox.engine.url.render_as_string(hide_password=False),
        NOTIFY_CHANNEL,
        lambda: notified.put_nowait(None),
    )
    await listener.ensure()
    relay = OutboxRelay(
        service="relay-in-process",
        metadata=outbox.metadata,
        sessionmaker=outbox.sessionmaker,
        database_url=outbox.engine.url.render_as_string(hide_password=False),
        broker=await outbox.broker(),
        topic_prefix=outbox.kafka.topic_prefix,
        poll_interval=3600,  # only a wake-up can make it publish within the test
        rebalance_interval=3600,
    )
    try:
        await relay.start()  # its first round takes every shard: it is alone
        await eventually(lambda: _holds(outbox, relay, SHARDS))
        await write(outbox, [step(str(uuid.uuid4()), "woken")])
        await until(lambda: published_by(relay) == 1)
        await wakes_sent()
        await asyncio.sleep(0.2)
        assert notified.empty()  # nobody else was told

        await relay.stop()  # no relay in this process: the other processes' must hear of it
        await write(outbox, [step(str(uuid.uuid4()), "notified")])
        await asyncio.wait_for(notified.get(), 10)
    finally:
        await relay.stop()
        await listener.close()


async def _holds(kit: Outbox, relay: OutboxRelay, count: int) -> bool:
    return len(await shards_held(kit, relay)) == count
