"""The messaging kit against a real Kafka broker and a real PostgreSQL server."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import EVENT_MODELS, CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from contracts.topics import ORDERS_EVENTS
from servicekit import dlq
from servicekit.consumer import EventConsumer, PermanentError, RetryPolicy
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.outbox import RELIABLE_PRODUCER_OPTIONS, OutboxRelay, add_to_outbox
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    console_script_result,
    eventually,
    run_console_script,
)
from servicekit.unit_of_work import RecordsEvents, SqlUnitOfWorkBase


def effects_table(metadata: MetaData) -> Table:
    return Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(200), nullable=False),
        Column("note", String(200), nullable=False),
    )


@dataclass
class Kit:
    metadata: MetaData
    effects: Table
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    kafka: KafkaSettings
    producer: AIOKafkaProducer  # writes test input straight to Kafka
    broker: KafkaBroker  # the relay publishes through it, as in a service

    def relay(self, cls: type[OutboxRelay] = OutboxRelay) -> OutboxRelay:
        return cls(
            service="kit",
            metadata=self.metadata,
            sessionmaker=self.sessionmaker,
            database_url=self.engine.url.render_as_string(hide_password=False),
            broker=self.broker,
            topic_prefix=self.kafka.topic_prefix,
            poll_interval=0.5,
        )

    async def effect_notes(self) -> list[str]:
        async with self.sessionmaker() as session:
            rows = await session.execute(select(self.effects.c.note).order_by(self.effects.c.seq))
            return list(rows.scalars())

    async def count(self, table: str) -> int:
        async with self.sessionmaker() as session:
            return int(
                (
                    await session.execute(
                        select(func.count()).select_from(self.metadata.tables[table])
                    )
                ).scalar_one()
            )


@pytest.fixture
async def kit(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Kit]:
    metadata = new_metadata()
    effects = effects_table(metadata)
    engine = make_engine(await databases.create("kit"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    broker = KafkaBroker(**kafka.broker_options(), **RELIABLE_PRODUCER_OPTIONS)
    await broker.start()
    yield Kit(metadata, effects, engine, make_sessionmaker(engine), kafka, producer, broker)
    await broker.stop()
    await producer.stop()
    await engine.dispose()


def cancelled(order_id: str, note: str) -> CloudEvent[Any]:
    return new_event(
        EventType.ORDER_CANCELLED,
        OrderCancelled(
            order_id=order_id, number=f"SO-{order_id[:6]}", reason=note, previous_status="open"
        ),
        source="/tests/kit",
        subject=order_id,
    )


async def write_event(kit: Kit, event: CloudEvent[Any], *, commit: bool = True) -> None:
    async with kit.sessionmaker() as session:
        await add_to_outbox(session, kit.metadata.tables["outbox"], event)
        if commit:
            await session.commit()
        else:
            await session.rollback()


async def read_topic(kafka: KafkaSettings, topic: str) -> list[Any]:
    return await dlq.read_topic(kafka, topic)


def recording_handler(kit: Kit, fail_on: str | None = None, permanent_on: str | None = None) -> Any:
    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        # The consumer hands over the typed event of the type the handler is registered for.
        assert type(event) is EVENT_MODELS[EventType.ORDER_CANCELLED]
        note = event.data.reason
        if note == permanent_on:
            raise PermanentError(f"cannot handle {note}")
        if note == fail_on:
            raise RuntimeError(f"handler always fails on {note}")
        await session.execute(kit.effects.insert().values(event_id=event.id, note=note))

    return handle


@pytest.fixture
def consuming(kit: Kit, start_consumer: Callable[[EventConsumer], Awaitable[EventConsumer]]) -> Any:
    """Start an EventConsumer on orders.events with the given handler; stop it afterwards."""

    async def start(handler: Any, max_attempts: int = 3) -> EventConsumer:
        consumer = EventConsumer(
            service="kit",
            group_id=f"kit-{uuid.uuid4().hex[:6]}",
            topic=ORDERS_EVENTS,
            handlers={EventType.ORDER_CANCELLED: handler},
            metadata=kit.metadata,
            sessionmaker=kit.sessionmaker,
            retry=RetryPolicy(max_attempts=max_attempts, backoff_seconds=0.05),
            topic_prefix=kit.kafka.topic_prefix,
        )
        return await start_consumer(consumer)

    return start


async def test_committed_event_is_published_once_and_rolled_back_never(kit: Kit) -> None:
    kept, discarded = cancelled(str(uuid.uuid4()), "kept"), cancelled(str(uuid.uuid4()), "gone")
    await write_event(kit, kept)
    await write_event(kit, discarded, commit=False)

    relay = kit.relay()
    await relay.start()
    try:

        async def published() -> bool:
            return len(await read_topic(kit.kafka, kit.kafka.topic("orders.events"))) >= 1

        await eventually(published)
        assert await relay.publish_pending() == 0  # nothing left to publish
    finally:
        await relay.stop()

    records = await read_topic(kit.kafka, kit.kafka.topic("orders.events"))
    ids = [json.loads(record.value)["id"] for record in records]
    assert ids == [kept.id]
    assert records[0].key == str(kept.subject).encode()
    assert dict(records[0].headers)["ce_type"] == EventType.ORDER_CANCELLED.value.encode()
    assert dict(records[0].headers)["correlation_id"] == str(kept.correlationid).encode()


async def test_unit_of_work_records_events_in_the_callers_transaction(kit: Kit) -> None:
    order_id = str(uuid.uuid4())
    by_subject, by_key, rolled_back = (cancelled(order_id, n) for n in ("a", "b", "gone"))
    async with kit.sessionmaker() as session:
        uow: RecordsEvents = SqlUnitOfWorkBase(session, kit.metadata)
        await uow.record(by_subject)
        await uow.record(by_key, key="customer-7")
        await session.commit()
    async with kit.sessionmaker() as session:
        await SqlUnitOfWorkBase(session, kit.metadata.tables["outbox"]).record(rolled_back)
        await session.rollback()

    outbox = kit.metadata.tables["outbox"]
    async with kit.sessionmaker() as session:
        rows = (await session.execute(select(outbox).order_by(outbox.c.id))).all()
    assert [(row.event_id, row.key, row.topic) for row in rows] == [
        (by_subject.id, order_id, "orders.events"),
        (by_key.id, "customer-7", "orders.events"),
    ]


class CrashBeforeMarking(OutboxRelay):
    """A relay that dies after Kafka acknowledged the batch but before marking it published."""

    async def _mark_published(self, connection: asyncpg.Connection, ids: list[int]) -> None:
        raise RuntimeError("killed between publishing and marking")


async def test_relay_crash_republishes_and_inbox_absorbs_the_duplicate(
    kit: Kit, consuming: Any
) -> None:
    event = cancelled(str(uuid.uuid4()), "once")
    await write_event(kit, event)

    with pytest.raises(RuntimeError, match="killed"):
        await kit.relay(CrashBeforeMarking).publish_pending()
    assert await kit.relay().publish_pending() == 1  # the row was not marked: published again

    copies = await read_topic(kit.kafka, kit.kafka.topic("orders.events"))
    assert [json.loads(r.value)["id"] for r in copies] == [event.id, event.id]

    consumer = await consuming(recording_handler(kit))
    await eventually(lambda: kit.count("inbox"))
    await eventually(lambda: consumer_done(kit, expected_offsets=2, consumer=consumer))
    assert await kit.effect_notes() == ["once"]
    assert await kit.count("inbox") == 1


async def consumer_done(kit: Kit, *, expected_offsets: int, consumer: EventConsumer) -> bool:
    """True once the consumer group committed offsets past `expected_offsets` messages."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**kit.kafka.client_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(consumer.group_id)
    finally:
        await admin.close()
    committed = sum(
        meta.offset
        for tp, meta in offsets.items()
        if tp.topic == consumer.topic_name and meta.offset > 0
    )
    return bool(committed >= expected_offsets)


async def test_poison_messages_go_to_the_dlq_and_the_rest_is_processed(
    kit: Kit, consuming: Any
) -> None:
    order_id = str(uuid.uuid4())
    topic = kit.kafka.topic("orders.events")
    first, failing, permanent, last = (
        cancelled(order_id, "first"),
        cancelled(order_id, "always-fails"),
        cancelled(order_id, "permanent"),
        cancelled(order_id, "last"),
    )
    invalid_payload = cancelled(order_id, "x").model_dump(mode="json")
    invalid_payload["data"] = {"order_id": order_id}  # misses number and previous_status
    key = order_id.encode()
    for value in (
        first.model_dump_json().encode(),
        b"\x00 this is not json",
        json.dumps(invalid_payload).encode(),
        failing.model_dump_json().encode(),
        permanent.model_dump_json().encode(),
        last.model_dump_json().encode(),
    ):
        await kit.producer.send_and_wait(topic, value=value, key=key)

    await consuming(
        recording_handler(kit, fail_on="always-fails", permanent_on="permanent"), max_attempts=3
    )

    async def both_processed() -> list[str] | None:
        notes = await kit.effect_notes()
        return notes if "last" in notes else None

    assert await eventually(both_processed) == ["first", "last"]
    letters = await eventually(lambda: _letters_if(kit.kafka, topic + ".dlq", expected=4))
    not_json, invalid_data, exhausted, refused = sorted(
        letters, key=lambda letter: int(letter.headers[dlq.ORIGINAL_OFFSET])
    )
    for letter in letters:
        assert letter.original_topic == topic
        assert letter.headers[dlq.ORIGINAL_PARTITION].isdigit()
        assert letter.key == key
    assert not_json.value == b"\x00 this is not json"
    assert "Invalid JSON" in not_json.error
    assert "previous_status" in invalid_data.error
    assert (exhausted.headers[dlq.ERROR_TYPE], exhausted.headers[dlq.ATTEMPTS]) == (
        "RuntimeError",
        "3",
    )
    assert "always fails" in exhausted.error
    assert (refused.headers[dlq.ERROR_TYPE], refused.headers[dlq.ATTEMPTS]) == (
        "PermanentError",
        "1",
    )


async def _letters_if(kafka: KafkaSettings, topic: str, expected: int) -> list[dlq.DeadLetter]:
    letters = await dlq.read_dead_letters(kafka, topic, wait_seconds=2)
    return letters if len(letters) >= expected else []


async def test_replayed_dead_letter_is_processed_once(kit: Kit, consuming: Any) -> None:
    topic = kit.kafka.topic("orders.events")
    flaky = cancelled(str(uuid.uuid4()), "flaky")
    state = {"broken": True}

    async def handle(event: CloudEvent[Any], session: AsyncSession) -> None:
        if state["broken"]:
            raise RuntimeError("dependency misconfigured")
        await session.execute(
            kit.effects.insert().values(event_id=event.id, note=event.data.reason)
        )

    await kit.producer.send_and_wait(
        topic, value=flaky.model_dump_json().encode(), key=str(flaky.subject).encode()
    )
    consumer = await consuming(handle, max_attempts=2)
    letters = await eventually(lambda: _letters_if(kit.kafka, topic + ".dlq", expected=1))

    listed = await operator_command(kit, "suite-dlq", "list", "orders.events")
    assert "dependency misconfigured" in listed
    assert "attempts=2" in listed
    assert f"key={flaky.subject}" in listed
    as_json = json.loads(
        await operator_command(kit, "suite-dlq", "list", "orders.events", "--json")
    )
    assert as_json["complete"] is True
    assert as_json["read"] == as_json["available"] == 1
    (message,) = as_json["messages"]
    assert message["key"] == flaky.subject
    assert json.loads(message["value"])["id"] == flaky.id
    assert (message["original"]["topic"], message["original"]["offset"]) == (topic, "0")
    assert message["error"] == "dependency misconfigured"
    assert message["headers"]["dlq-consumer"] == consumer.group_id

    # A read cut short (here: no time at all) is reported, and replay then replays nothing.
    partial = await console_script_result(
        ["suite-dlq", "replay", "orders.events", "--all", "--wait", "0"], operator_env(kit)
    )
    assert partial.returncode == 3
    assert "PARTIAL READ: 0 of 1 message(s)" in partial.stderr
    assert "nothing replayed" in partial.stderr
    assert len(await read_topic(kit.kafka, topic)) == 1

    # Its consumer stopped before committing, read the message again and dead-lettered it
    # again: a second letter of the same message, marked as a copy and never replayed.
    (letter,) = letters
    await kit.producer.send_and_wait(
        topic + ".dlq",
        value=letter.value,
        key=letter.key,
        partition=letter.partition,
        headers=[(name, value.encode()) for name, value in letter.headers.items()],
    )
    listed = await operator_command(kit, "suite-dlq", "list", "orders.events")
    assert listed.count("copy of") == 1
    assert f"copy of {letter.partition}/{letter.offset}" in listed

    state["broken"] = False  # the operator fixed the cause, then replays twice by mistake
    assert await dlq.replay(kit.kafka, letters) == 1
    replayed = await operator_command(kit, "suite-dlq", "replay", "orders.events", "--all")
    assert "read all 2 message(s)" in replayed
    assert "replayed 1 message(s)" in replayed
    assert "skipped 1 copy(ies)" in replayed
    assert len(await read_topic(kit.kafka, topic)) == 3  # the message and one copy per replay

    await eventually(lambda: kit.count("inbox"))
    await eventually(lambda: _offsets_at_least(kit, topic, 3))
    assert await kit.effect_notes() == ["flaky"]

    lag = await operator_command(kit, "suite-ops", "lag", "--group", consumer.group_id)
    assert f"{topic}\t" in lag
    assert "lag=0" in lag
    backlog = await operator_command(kit, "suite-ops", "outbox", "--service", "orders")
    assert "orders\tunpublished=0" in backlog


def operator_env(kit: Kit) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kit.kafka.bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": kit.kafka.topic_prefix,
        "ORDERS_DATABASE_URL": kit.engine.url.render_as_string(hide_password=False),
    }


async def operator_command(kit: Kit, *argv: str) -> str:
    """Run an operator command as an operator would, pointed at this test's environment."""
    return await run_console_script(list(argv), operator_env(kit))


async def test_lag_of_a_group_that_never_committed(kit: Kit) -> None:
    topic = kit.kafka.topic("orders.events")
    order_id = str(uuid.uuid4())  # one key: the three messages land in one partition
    for note in ("a", "b", "c"):
        event = cancelled(order_id, note)
        await kit.producer.send_and_wait(
            topic, value=event.model_dump_json().encode(), key=order_id.encode()
        )

    # Nobody in the group, nothing committed: the topic is named, every partition is listed.
    idle = f"kit-idle-{uuid.uuid4().hex[:6]}"
    lag = await operator_command(
        kit, "suite-ops", "lag", "--group", idle, "--topic", "orders.events"
    )
    lines = [line.split("\t") for line in lag.splitlines()]
    assert len(lines) == ORDERS_EVENTS.partitions
    assert {line[3] for line in lines} == {"committed=-"}
    assert sum(int(line[4].removeprefix("lag=")) for line in lines) == 3

    # A member that subscribed but never committed: its subscription names the topic.
    group = f"kit-member-{uuid.uuid4().hex[:6]}"
    member = AIOKafkaConsumer(
        topic,
        **kit.kafka.client_options(),
        group_id=group,
        enable_auto_commit=False,
    )
    await member.start()
    try:
        await eventually(lambda: _assigned(member))
        lag = await operator_command(kit, "suite-ops", "lag", "--group", group)
    finally:
        await member.stop()
    lines = [line.split("\t") for line in lag.splitlines()]
    assert len(lines) == ORDERS_EVENTS.partitions
    assert sum(int(line[4].removeprefix("lag=")) for line in lines) == 3


async def _assigned(consumer: AIOKafkaConsumer) -> bool:
    return bool(consumer.assignment())


async def _offsets_at_least(kit: Kit, topic: str, count: int) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**kit.kafka.client_options())
    await admin.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith("kit-")]
        total = 0
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            total += sum(m.offset for tp, m in offsets.items() if tp.topic == topic)
        return total >= count
    finally:
        await admin.close()


async def test_events_with_one_key_arrive_in_order(kit: Kit, consuming: Any) -> None:
    order_id = str(uuid.uuid4())
    notes = [f"step-{i:03d}" for i in range(60)]
    for note in notes:
        await write_event(kit, cancelled(order_id, note))
    other = str(uuid.uuid4())
    for note in ("other-a", "other-b"):
        await write_event(kit, cancelled(other, note))

    relay = kit.relay()
    relay.batch_size = 7  # several batches, so ordering must hold across them
    await relay.start()
    await consuming(recording_handler(kit))
    try:

        async def all_done() -> list[str] | None:
            seen = await kit.effect_notes()
            return seen if len(seen) == len(notes) + 2 else None

        seen = await eventually(all_done)
    finally:
        await relay.stop()
    assert [n for n in seen if n.startswith("step-")] == notes
    assert [n for n in seen if n.startswith("other-")] == ["other-a", "other-b"]


async def test_consumer_lag_counts_what_the_group_has_not_committed(
    kit: Kit, consuming: Any
) -> None:
    from servicekit.lag import ConsumerLagMonitor

    topic = kit.kafka.topic("orders.events")
    order_id = str(uuid.uuid4())  # one key: every message lands in one partition
    for note in ("a", "b", "c"):
        event = cancelled(order_id, note)
        await kit.producer.send_and_wait(
            topic, value=event.model_dump_json().encode(), key=order_id.encode()
        )
    consumer = await consuming(recording_handler(kit))
    monitor = ConsumerLagMonitor("kit", kit.kafka, consumer.group_id, [topic], interval=60)
    try:
        await eventually(lambda: _all_consumed(kit, 3))
        lags = await eventually(lambda: _lag_if_settled(monitor))
    finally:
        await monitor.stop()
    assert len(lags) == ORDERS_EVENTS.partitions
    assert set(lags.values()) == {0}

    idle = ConsumerLagMonitor("kit", kit.kafka, "a-group-that-never-consumed", [topic], 60)
    try:
        assert sum((await idle.measure()).values()) == 3
    finally:
        await idle.stop()


async def _all_consumed(kit: Kit, count: int) -> bool:
    return len(await kit.effect_notes()) >= count


async def _lag_if_settled(monitor: Any) -> dict[Any, int] | None:
    lags: dict[Any, int] = await monitor.measure()
    return lags if lags and sum(lags.values()) == 0 else None
