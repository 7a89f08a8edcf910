"""Retention on a real PostgreSQL server (and Kafka for the redelivery): old enough only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import EventType
from contracts.topics import ORDERS_EVENTS
from servicekit.consumer import EventConsumer, RetryPolicy
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.http import IDEMPOTENCY_TTL_INFO
from servicekit.retention import RetentionPolicy, RetentionPruner
from servicekit.runtime import Runtime, ServiceSpec
from servicekit.settings import KafkaSettings, ServiceSettings
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    order_cancelled,
    pages_touched,
    table_pages,
)

NOW = datetime.now(UTC)


@dataclass
class Tables:
    metadata: MetaData
    effects: Table
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    def pruner(self, service: str = "kit", **policy: Any) -> RetentionPruner:
        return RetentionPruner(
            service=service,
            metadata=self.metadata,
            sessionmaker=self.sessionmaker,
            policy=RetentionPolicy(**policy),
        )

    async def insert(self, table: str, *rows: dict[str, Any]) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(self.metadata.tables[table].insert(), list(rows))

    async def remaining(self, table: str, column: str) -> list[str]:
        column_of = self.metadata.tables[table].c[column]
        async with self.sessionmaker() as session:
            return sorted((await session.execute(select(column_of))).scalars())

    async def count(self, table: str) -> int:
        async with self.sessionmaker() as session:
            counted = select(func.count()).select_from(self.metadata.tables[table])
            return int((await session.execute(counted)).scalar_one())


@pytest.fixture
async def tables(databases: TemporaryDatabases) -> AsyncIterator[Tables]:
    metadata = new_metadata()
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(200), nullable=False),
    )
    engine = make_engine(await databases.create("retention"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Tables(metadata, effects, engine, make_sessionmaker(engine))
    await engine.dispose()


def outbox_row(event_id: str, *, created: timedelta, published: timedelta | None) -> dict[str, Any]:
    """An outbox row created `created` ago and published `published` ago (None: not yet)."""
    return {
        "event_id": event_id,
        "event_type": "order.cancelled",
        "topic": "orders.events",
        "key": "order-1",
        "payload": "{}",
        "headers": {},
        "created_at": NOW - created,
        "published_at": None if published is None else NOW - published,
    }


def inbox_row(event_id: str, *, processed: timedelta, consumer: str = "kit") -> dict[str, Any]:
    return {
        "consumer": consumer,
        "event_id": event_id,
        "event_type": "order.cancelled",
        "topic": "orders.events",
        "partition": 0,
        "offset": 0,
        "processed_at": NOW - processed,
    }


def key_row(key: str, *, created: timedelta) -> dict[str, Any]:
    return {
        "scope": "orders",
        "key": key,
        "fingerprint": "0" * 64,
        "status_code": 201,
        "body": {},
        "created_at": NOW - created,
    }


DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


async def test_pruning_removes_only_what_is_old_enough(tables: Tables) -> None:
    await tables.insert(
        "outbox",
        outbox_row("published-long-ago", created=9 * DAY, published=8 * DAY),
        outbox_row("published-yesterday", created=9 * DAY, published=DAY),
        outbox_row("never-published", created=60 * DAY, published=None),
    )
    await tables.insert(
        "inbox",
        inbox_row("processed-50-days-ago", processed=50 * DAY),
        inbox_row("processed-40-days-ago", processed=40 * DAY),
        inbox_row("processed-today", processed=timedelta(minutes=5)),
    )
    await tables.insert(
        "idempotency_keys",
        key_row("expired", created=timedelta(hours=25)),
        key_row("live", created=timedelta(hours=23)),
    )

    deleted = await tables.pruner().prune()

    assert deleted == {"outbox": 1, "inbox": 1, "idempotency_keys": 1}
    assert await tables.remaining("outbox", "event_id") == [
        "never-published",
        "published-yesterday",
    ]
    assert await tables.remaining("inbox", "event_id") == [
        "processed-40-days-ago",
        "processed-today",
    ]
    assert await tables.remaining("idempotency_keys", "key") == ["live"]
    assert await tables.pruner().prune() == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}


async def test_a_round_with_nothing_old_reads_the_index_not_the_table(tables: Tables) -> None:
    payload = "x" * 1000
    # Rows pruned before, as in a running service, then recent traffic, oldest first:
    # published, processed and remembered within the periods.
    await tables.insert(
        "outbox",
        *(outbox_row(f"old-{n}", created=9 * DAY, published=8 * DAY) for n in range(2_000)),
    )
    await tables.insert("inbox", *(inbox_row(f"old-{n}", processed=50 * DAY) for n in range(2_000)))
    await tables.insert(
        "idempotency_keys", *(key_row(f"old-{n}", created=2 * DAY) for n in range(2_000))
    )
    pruner = tables.pruner()
    assert await pruner.prune() == {"outbox": 2_000, "inbox": 2_000, "idempotency_keys": 2_000}
    recent = [
        outbox_row(f"event-{n}", created=n * 20 * SECOND, published=n * 20 * SECOND)
        | {"payload": payload}
        for n in range(20_000, 0, -1)
    ]
    await tables.insert("outbox", *recent)
    await tables.insert(
        "inbox", *(inbox_row(f"event-{n}", processed=n * 20 * SECOND) for n in range(20_000))
    )
    await tables.insert(
        "idempotency_keys",
        *(
            key_row(f"key-{n}", created=n * SECOND) | {"body": {"payload": payload}}
            for n in range(5_000, 0, -1)
        ),
    )
    async with tables.engine.connect() as connection:
        await connection.execute(text("ANALYZE outbox, inbox, idempotency_keys"))
        await connection.commit()

    async with tables.engine.connect() as connection:
        for rule in pruner.rules:
            read = await pages_touched(connection, rule.statement, {"age": rule.age, "limit": 1000})
            pages = await table_pages(connection, rule.table)
            assert pages > 200, rule.table  # large enough that a scan would show
            assert read < pages / 20, (rule.table, read, pages)
    assert await pruner.prune() == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}


async def test_the_periods_are_configurable(tables: Tables) -> None:
    await tables.insert("outbox", outbox_row("two-days", created=3 * DAY, published=2 * DAY))
    await tables.insert("inbox", inbox_row("ten-days", processed=10 * DAY))
    await tables.insert("idempotency_keys", key_row("two-hours", created=timedelta(hours=2)))
    assert await tables.pruner(outbox=3 * DAY, inbox=11 * DAY).prune() == {
        "outbox": 0,
        "inbox": 0,
        "idempotency_keys": 0,
    }
    assert await tables.pruner(
        outbox=DAY, inbox=9 * DAY, idempotency=timedelta(hours=1)
    ).prune() == {"outbox": 1, "inbox": 1, "idempotency_keys": 1}


async def test_batches_are_bounded_and_replicas_share_the_work(tables: Tables) -> None:
    old = [inbox_row(f"old-{n}", processed=60 * DAY) for n in range(25)]
    await tables.insert("inbox", *old, inbox_row("recent", processed=DAY))

    first = tables.pruner(batch_size=10)
    assert (await first.prune_once())["inbox"] == 10  # one batch, one short transaction
    assert await tables.count("inbox") == 16

    # two replicas at once: between them every old row goes, none is deleted twice
    second = tables.pruner(batch_size=2)
    together = await asyncio.gather(first.prune(), second.prune())
    assert together[0]["inbox"] + together[1]["inbox"] == 15
    assert await tables.remaining("inbox", "event_id") == ["recent"]


async def test_a_locked_row_is_skipped_not_waited_for(tables: Tables) -> None:
    await tables.insert(
        "inbox",
        inbox_row("locked", processed=60 * DAY),
        inbox_row("free", processed=60 * DAY),
    )
    inbox = tables.metadata.tables["inbox"]
    async with tables.sessionmaker() as holder, holder.begin():
        await holder.execute(select(inbox).where(inbox.c.event_id == "locked").with_for_update())
        deleted = await asyncio.wait_for(tables.pruner().prune(), timeout=10)
        assert deleted["inbox"] == 1
    assert await tables.remaining("inbox", "event_id") == ["locked"]


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_table_sizes_and_pruned_rows_are_metrics(tables: Tables) -> None:
    service = f"sizes-{uuid.uuid4().hex[:6]}"
    await tables.insert("inbox", *(inbox_row(f"e-{n}", processed=60 * DAY) for n in range(3)))
    await tables.insert("outbox", outbox_row("pending", created=DAY, published=None))
    pruner = tables.pruner(service)

    rows = await pruner.measure()  # never analyzed: counted
    assert rows["inbox"] == 3
    assert rows["effects"] == 0
    assert sample("suite_table_rows", service=service, table="inbox") == 3
    assert sample("suite_table_rows", service=service, table="outbox") == 1
    bytes_ = sample("suite_table_bytes", service=service, table="inbox")
    assert bytes_ is not None
    assert bytes_ > 0

    await pruner.prune()
    assert sample("suite_rows_pruned_total", service=service, table="inbox") == 3
    async with tables.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
    assert (await pruner.measure())["inbox"] == 0  # now PostgreSQL's estimate


async def test_the_job_runs_in_the_background_until_stopped(tables: Tables) -> None:
    await tables.insert("inbox", *(inbox_row(f"e-{n}", processed=60 * DAY) for n in range(5)))
    pruner = tables.pruner(batch_size=2, interval_seconds=60)
    await pruner.start()
    assert pruner.running
    await eventually(lambda: _is(tables.count("inbox"), 0), within=10)
    await pruner.stop()
    assert not pruner.running


async def _is(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def test_an_event_redelivered_within_the_inbox_window_changes_nothing(
    tables: Tables,
    kafka: KafkaSettings,
    start_consumer: Callable[[EventConsumer], Awaitable[EventConsumer]],
) -> None:
    service = f"retention-{uuid.uuid4().hex[:6]}"
    order_id = str(uuid.uuid4())
    event = order_cancelled(order_id)

    async def handle(received: Any, session: AsyncSession) -> None:
        await session.execute(tables.effects.insert().values(event_id=received.id))

    await start_consumer(
        EventConsumer(
            service=service,
            group_id=service,
            topic=ORDERS_EVENTS,
            handlers={EventType.ORDER_CANCELLED: handle},
            metadata=tables.metadata,
            sessionmaker=tables.sessionmaker,
            retry=RetryPolicy(max_attempts=2, backoff_seconds=0.05),
            topic_prefix=kafka.topic_prefix,
        )
    )
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all")
    await producer.start()
    try:
        topic = kafka.topic(ORDERS_EVENTS.name)
        value = event.model_dump_json().encode()
        await producer.send_and_wait(topic, value, key=order_id.encode())
        await eventually(lambda: _is(tables.count("effects"), 1))

        # processed 40 days ago: inside the 45-day window, beside an older row that goes
        inbox = tables.metadata.tables["inbox"]
        async with tables.sessionmaker() as session, session.begin():
            await session.execute(inbox.update().values(processed_at=NOW - 40 * DAY))
        await tables.insert("inbox", inbox_row("ancient", processed=50 * DAY, consumer=service))
        assert (await tables.pruner().prune())["inbox"] == 1

        await producer.send_and_wait(topic, value, key=order_id.encode())  # the redelivery
        duplicates = dict(service=service, topic=topic, event_type=event.type, outcome="duplicate")
        await eventually(lambda: _true(sample("suite_events_consumed_total", **duplicates)))
        assert await tables.count("effects") == 1
        assert await tables.remaining("inbox", "event_id") == [event.id]
    finally:
        await producer.stop()


async def _true(value: float | None) -> bool:
    return bool(value)


async def test_a_worker_runs_the_job_with_the_service_settings(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> None:
    settings = ServiceSettings(
        database_url=await databases.create("retention_runtime"),
        kafka=kafka,
        idempotency_ttl_hours=2,
        retention_inbox_days=10,
    )
    spec = ServiceSpec(
        name=f"pruned-{uuid.uuid4().hex[:6]}",
        title="Pruned",
        description="A service whose worker prunes",
        version="1.0.0",
        metadata=new_metadata(),
        settings=settings,
    )
    runtime = Runtime(spec, api=False, worker=True)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(spec.metadata.create_all)
    tables = Tables(spec.metadata, Table("none", MetaData()), runtime.engine, runtime.sessionmaker)
    await tables.insert("inbox", inbox_row("eleven-days", processed=11 * DAY))
    await tables.insert("inbox", inbox_row("nine-days", processed=9 * DAY))
    async with runtime.sessionmaker() as session:
        assert session.info[IDEMPOTENCY_TTL_INFO] == timedelta(hours=2)
    await runtime.start()
    try:
        assert runtime.pruner is not None
        assert runtime.pruner.policy.inbox == timedelta(days=10)
        assert runtime.pruner.policy.idempotency == timedelta(hours=2)
        await eventually(lambda: _is(tables.count("inbox"), 1), within=10)
        assert await tables.remaining("inbox", "event_id") == ["nine-days"]
    finally:
        await runtime.stop()
    assert runtime.pruner is None
