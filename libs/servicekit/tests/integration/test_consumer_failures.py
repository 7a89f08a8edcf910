"""Failed attempts by kind, against real Kafka and PostgreSQL: conflicts rerun, data errors are
dead-lettered with their reason, a database that is starting up is waited for (docs/adr/0002) -
each for a consumer of one record at a time and for one of batches. Then batches of their own:
one transaction and one inbox statement per batch, a poison record isolated."""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, event, select, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from contracts import CloudEvent, EventType
from contracts.events import OrderCancelled
from contracts.topics import ORDERS_EVENTS
from servicekit import dlq
from servicekit.consumer import BatchPreparation, EventConsumer, PermanentError, RetryPolicy
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, eventually, order_cancelled

Handle = Callable[[CloudEvent[OrderCancelled], AsyncSession], Awaitable[None]]


@dataclass
class Setup:
    metadata: MetaData
    effects: Table
    counters: Table
    engine: AsyncEngine
    kafka: KafkaSettings
    producer: AIOKafkaProducer

    @property
    def topic(self) -> str:
        return self.kafka.topic("orders.events")

    async def send(self, note: str, order_id: str) -> CloudEvent[Any]:
        event = order_cancelled(order_id, reason=note)
        await self.producer.send_and_wait(
            self.topic, value=event.model_dump_json().encode(), key=order_id.encode()
        )
        return event

    async def notes(self) -> list[str]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(self.effects.c.note).order_by("seq"))
            return list(rows.scalars())

    async def letters(self, expected: int) -> list[dlq.DeadLetter]:
        letters = await dlq.read_dead_letters(self.kafka, self.topic + ".dlq", wait_seconds=1)
        return letters if len(letters) >= expected else []


@pytest.fixture
async def setup(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Setup]:
    metadata = new_metadata()
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(200), nullable=False, unique=True),
        Column("note", String(200), nullable=False),
    )
    counters = Table(
        "counters",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("value", Integer, nullable=False),
    )
    engine = make_engine(await databases.create("failures"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(counters.insert().values(id=1, value=0))
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all")
    await producer.start()
    yield Setup(metadata, effects, counters, engine, kafka, producer)
    await producer.stop()
    await engine.dispose()


@pytest.fixture
def start(
    setup: Setup, start_consumer: Callable[[EventConsumer], Awaitable[EventConsumer]]
) -> Callable[..., Awaitable[EventConsumer]]:
    async def start(
        handle: Handle,
        engine: AsyncEngine | None = None,
        batch: int = 1,
        prepare_batch: BatchPreparation | None = None,
        **policy: Any,
    ) -> Any:
        consumer = EventConsumer(
            batch_size=batch,
            prepare_batch=prepare_batch,
            service="failures",
            group_id=f"failures-{uuid.uuid4().hex[:6]}",
            topic=ORDERS_EVENTS,
            handlers={EventType.ORDER_CANCELLED: handle},
            metadata=setup.metadata,
            sessionmaker=make_sessionmaker(engine or setup.engine),
            retry=RetryPolicy(**{"max_attempts": 2, "backoff_seconds": 0.05, **policy}),
            topic_prefix=setup.kafka.topic_prefix,
        )
        return await start_consumer(consumer)

    return start


@pytest.fixture(params=[1, 50], ids=["one-by-one", "batches"])
def consume(
    start: Callable[..., Awaitable[EventConsumer]], request: pytest.FixtureRequest
) -> Callable[..., Awaitable[EventConsumer]]:
    """A consumer of one record at a time, then one of batches of up to 50."""
    return functools.partial(start, batch=request.param)


def retries_counted(topic: str) -> float:
    value = REGISTRY.get_sample_value(
        "suite_event_retries_total", {"service": "failures", "topic": topic}
    )
    return value or 0.0


async def test_a_real_serialization_failure_is_rerun_and_succeeds(
    setup: Setup, consume: Any
) -> None:
    serializable = setup.engine.execution_options(isolation_level="SERIALIZABLE")
    attempts: list[str] = []

    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        attempts.append(event.id)
        counters = setup.counters
        current = (
            await session.execute(select(counters.c.value).where(counters.c.id == 1))
        ).scalar_one()
        if len(attempts) == 1:  # another transaction changes the row this one has read
            async with setup.engine.begin() as other:
                await other.execute(counters.update().values(value=counters.c.value + 100))
        await session.execute(counters.update().values(value=current + 1))
        await session.execute(setup.effects.insert().values(event_id=event.id, note="counted"))

    before = retries_counted(setup.topic)
    await consume(handle, engine=serializable)
    event = await setup.send("count me", str(uuid.uuid4()))

    assert await eventually(setup.notes) == ["counted"]
    assert attempts == [event.id, event.id]  # the first lost with 40001, the rerun committed
    async with setup.engine.connect() as connection:
        value = (await connection.execute(text("SELECT value FROM counters"))).scalar_one()
    assert value == 101  # the rerun read the other transaction's write
    assert retries_counted(setup.topic) == before + 1
    assert await setup.letters(expected=1) == []


async def test_data_errors_are_dead_lettered_with_their_reason(setup: Setup, consume: Any) -> None:
    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        note = event.data.reason or ""
        if note == "not a number":  # 22P02 from the server
            await session.execute(
                text("SELECT CAST(CAST(:value AS text) AS integer)"), {"value": note}
            )
        if note == "wrong type":  # refused by asyncpg before it is sent: no SQLSTATE
            await session.execute(text("SELECT CAST(:value AS integer)"), {"value": note})
        if note == "duplicate":  # 23505: the effect of another event id, inserted twice
            await session.execute(setup.effects.insert().values(event_id="twice", note=note))
            await session.execute(setup.effects.insert().values(event_id="twice", note=note))
        await session.execute(setup.effects.insert().values(event_id=event.id, note=note))

    await consume(handle, max_attempts=5)
    order_id = str(uuid.uuid4())
    for note in ("not a number", "wrong type", "duplicate", "fine"):
        await setup.send(note, order_id)

    assert await eventually(setup.notes) == ["fine"]
    letters = await eventually(lambda: setup.letters(expected=3))
    by_offset = sorted(letters, key=lambda letter: int(letter.headers[dlq.ORIGINAL_OFFSET]))
    not_a_number, wrong_type, duplicate = by_offset
    # no retries: none of them can ever succeed
    assert {letter.headers[dlq.ATTEMPTS] for letter in letters} == {"1"}
    assert "invalid input syntax for type integer" in not_a_number.error
    assert "invalid input for query argument" in wrong_type.error
    assert "duplicate key value violates unique constraint" in duplicate.error


def starting_up() -> DBAPIError:
    """57P03 as SQLAlchemy raises it when a connection is refused while PostgreSQL starts."""
    error = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(error), error)  # type: ignore[no-untyped-call]
    adapted.__cause__ = error
    wrapped = DBAPIError.instance(None, None, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    assert isinstance(wrapped, DBAPIError)
    wrapped.__cause__ = adapted
    return wrapped


async def test_a_database_starting_up_pauses_the_consumer_and_nothing_is_dead_lettered(
    setup: Setup, consume: Any
) -> None:
    away_until = asyncio.get_running_loop().time() + 2.0
    attempts: list[str] = []

    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        attempts.append(event.data.reason or "")
        if asyncio.get_running_loop().time() < away_until:
            raise starting_up()
        await session.execute(
            setup.effects.insert().values(event_id=event.id, note=event.data.reason)
        )

    # Two attempts for an unknown error; a short hold, so the delivery is handed back (nack) at
    # least once and read again while the database is still away.
    await consume(handle, max_attempts=2, max_backoff_seconds=0.4, hold_seconds=0.5)
    order_id = str(uuid.uuid4())
    for note in ("first", "second"):
        await setup.send(note, order_id)

    async def both() -> list[str] | None:
        notes = await setup.notes()
        return notes if len(notes) == 2 else None

    assert await eventually(both, within=30) == ["first", "second"]
    assert attempts.count("first") > 2  # far beyond max_attempts, and not spinning:
    assert attempts.count("first") < 40  # the pauses grow up to max_backoff_seconds
    assert attempts.count("second") == 1  # behind it, in order, once the database is back
    assert await setup.letters(expected=1) == []


def batches_one_by_one(topic: str) -> float:
    value = REGISTRY.get_sample_value(
        "suite_consumer_batches_one_by_one_total", {"service": "failures", "topic": topic}
    )
    return value or 0.0


async def inbox_rows(setup: Setup) -> int:
    async with setup.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM inbox"))).scalar_one())


def noting(setup: Setup) -> Handle:
    """A handler whose effect is a row with the event's note."""

    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        await session.execute(
            setup.effects.insert().values(event_id=event.id, note=event.data.reason)
        )

    return handle


async def test_a_batch_is_one_transaction_with_one_inbox_statement(
    setup: Setup, start: Any
) -> None:
    handle = noting(setup)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    sent = []
    for n in range(10):  # two orders' events interleaved, all sent before the consumer starts
        sent.append(await setup.send(f"a{n}", first))
        sent.append(await setup.send(f"b{n}", second))
    copy = sent[3]  # a copy of b1, as a relay that crashed before marking sends it: same key
    await setup.producer.send_and_wait(
        setup.topic, value=copy.model_dump_json().encode(), key=second.encode()
    )
    inbox_statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO inbox"):
            inbox_statements.append(statement)

    engine = setup.engine.sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        await start(handle, batch=50)

        async def all_handled() -> list[str] | None:
            notes = await setup.notes()
            return notes if len(notes) == 20 else None

        notes = await eventually(all_handled)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert [n for n in notes if n[0] == "a"] == [f"a{n}" for n in range(10)]  # per key, in order
    assert [n for n in notes if n[0] == "b"] == [f"b{n}" for n in range(10)]
    assert await inbox_rows(setup) == 20  # the copy changed nothing
    # 21 records in a few batches, one inbox statement each (in one transaction with the effects)
    assert 1 <= len(inbox_statements) <= 10
    assert await setup.letters(expected=1) == []


async def test_a_batch_is_prepared_in_its_transaction_with_its_new_events_once(
    setup: Setup, start: Any
) -> None:
    handle = noting(setup)
    order = str(uuid.uuid4())
    sent = [await setup.send(f"p{n}", order) for n in range(10)]
    await setup.producer.send_and_wait(  # a copy of p2, as a relay that crashed before marking
        setup.topic, value=sent[2].model_dump_json().encode(), key=order.encode()
    )
    prepared: list[str] = []

    async def prepare(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
        assert session.in_transaction()
        prepared.extend(event.id for event in events)

    await start(handle, batch=50, prepare_batch=prepare)

    async def all_handled() -> list[str] | None:
        notes = await setup.notes()
        return notes if len(notes) == 10 else None

    await eventually(all_handled)
    # Each new event once, in the order its handler runs (one key: the order they were sent).
    assert prepared == [event.id for event in sent]


async def test_a_poison_record_in_a_batch_is_dead_lettered_and_the_rest_take_effect(
    setup: Setup, start: Any
) -> None:
    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        note = event.data.reason or ""
        await session.execute(setup.effects.insert().values(event_id=event.id, note=note))
        if note == "poison":
            raise PermanentError("this one can never be handled")

    order_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    for note in ("one", "two", "poison", "three"):
        await setup.send(note, order_id)
        await setup.send(f"other {note}", other)
    before = batches_one_by_one(setup.topic)
    await start(handle, batch=50)

    async def all_but_poison() -> list[str] | None:
        notes = await setup.notes()
        return notes if len(notes) == 7 else None

    notes = await eventually(all_but_poison)
    assert [n for n in notes if not n.startswith("other")] == ["one", "two", "three"]
    assert [n for n in notes if n.startswith("other")] == [
        f"other {n}" for n in ("one", "two", "poison", "three")
    ]
    letters = await eventually(lambda: setup.letters(expected=1))
    assert len(letters) == 1
    assert "this one can never be handled" in letters[0].error
    assert await inbox_rows(setup) == 7  # the poison's inbox row went with its transaction
    assert batches_one_by_one(setup.topic) == before + 1  # its batch, once


async def test_an_invalid_record_in_a_batch_is_dead_lettered_and_the_rest_take_effect(
    setup: Setup, start: Any
) -> None:
    handle = noting(setup)
    order_id = str(uuid.uuid4())
    await setup.send("one", order_id)
    await setup.producer.send_and_wait(setup.topic, value=b"{not json", key=order_id.encode())
    await setup.send("two", order_id)
    before = batches_one_by_one(setup.topic)
    await start(handle, batch=50)

    async def both() -> list[str] | None:
        notes = await setup.notes()
        return notes if len(notes) == 2 else None

    assert await eventually(both) == ["one", "two"]
    letters = await eventually(lambda: setup.letters(expected=1))
    assert len(letters) == 1
    assert letters[0].headers[dlq.ORIGINAL_OFFSET] == "1"
    assert await inbox_rows(setup) == 2
    assert batches_one_by_one(setup.topic) == before  # handled one by one without a first try


async def test_a_newer_suite_type_is_skipped_and_an_outsiders_unknown_type_dead_lettered(
    setup: Setup, consume: Any
) -> None:
    handle = noting(setup)
    order_id = str(uuid.uuid4())
    await setup.send("one", order_id)
    template = json.loads(order_cancelled(order_id, reason="x").model_dump_json())
    newer = {**template, "id": str(uuid.uuid4()), "type": "suite.order.teleported.v1"}
    outsider = {**newer, "id": str(uuid.uuid4()), "source": "/some-shop"}
    for unknown in (newer, outsider):
        await setup.producer.send_and_wait(
            setup.topic, value=json.dumps(unknown).encode(), key=order_id.encode()
        )
    await setup.send("two", order_id)
    await consume(handle)

    async def both() -> list[str] | None:
        notes = await setup.notes()
        return notes if len(notes) == 2 else None

    assert await eventually(both) == ["one", "two"]
    # Only the outsider's mistake is a dead letter; a newer service's type is no error.
    [letter] = await eventually(lambda: setup.letters(expected=1))
    assert letter.headers[dlq.ORIGINAL_OFFSET] == "2"
    assert "unknown event type 'suite.order.teleported.v1'" in letter.headers[dlq.ERROR]
