"""What an operator asks of a service's messaging: its outbox backlog and parked rows (and
putting those back in the queue), its consumer group's lag, one message of a dead-letter topic.

Shared by the operator commands (`suite-ops`, `suite-dlq`), which reach every service from a
shell, and the administrators' HTTP API each service serves (`servicekit.admin_api`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata
from aiokafka.errors import KafkaError
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from servicekit.db import make_sessionmaker, new_metadata
from servicekit.dlq import DeadLetter, topic_partitions
from servicekit.outbox import NOTIFY_CHANNEL, outbox_state
from servicekit.settings import KafkaSettings

P = ParamSpec("P")
R = TypeVar("R")

OUTBOX = new_metadata().tables["outbox"]


def _parked(outbox: Table) -> tuple[Any, ...]:
    return (outbox.c.published_at.is_(None), outbox.c.failed_at.is_not(None))


@dataclass(frozen=True)
class OutboxReport:
    unpublished: int  # waiting to be published (parked rows not counted)
    oldest_age_seconds: float  # of the oldest one waiting; 0 when none waits
    parked: list[dict[str, Any]]  # id, key, event_type, topic, failed_at, error


async def outbox_report(engine: AsyncEngine, outbox: Table = OUTBOX) -> OutboxReport:
    """One service's outbox: how much waits, for how long, and the rows parked with a reason."""
    count, oldest, _ = await outbox_state(make_sessionmaker(engine), outbox)
    async with engine.connect() as connection:
        parked = await connection.execute(
            select(
                outbox.c.id,
                outbox.c.key,
                outbox.c.event_type,
                outbox.c.topic,
                outbox.c.failed_at,
                outbox.c.error,
            )
            .where(*_parked(outbox))
            .order_by(outbox.c.id)
        )
        rows = [dict(row) for row in parked.mappings()]
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    return OutboxReport(count, age, rows)


async def retry_parked_rows(
    engine: AsyncEngine, ids: Sequence[int] | None, outbox: Table = OUTBOX
) -> int:
    """Put parked rows (all of them when `ids` is None) back in the queue; returns how many."""
    chosen = () if ids is None else (outbox.c.id.in_(list(ids)),)
    async with engine.begin() as connection:
        retried = await connection.execute(
            update(outbox).where(*_parked(outbox), *chosen).values(failed_at=None, error=None)
        )
        # Wakes the relays at commit, as a newly written event does.
        await connection.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))
    return int(retried.rowcount)


async def subscribed_topics(admin: AIOKafkaAdminClient, group: str) -> set[str]:
    """The topics the group's current members subscribe to (none when nobody is in the group)."""
    topics: set[str] = set()
    for response in await admin.describe_consumer_groups([group]):
        for described in response.to_object().get("groups", []):
            for member in described.get("members", []):
                with contextlib.suppress(Exception):  # another protocol's metadata: skip it
                    metadata = ConsumerProtocolMemberMetadata.decode(member["member_metadata"])
                    topics.update(metadata.subscription)
    return topics


def _retriable(exc: BaseException) -> bool:
    return isinstance(exc, KafkaError) and exc.retriable


# A partition whose leader is moving, or a group coordinator still loading, answers with a
# retriable error for a moment (a freshly created topic does so routinely): ask again briefly
# before telling the operator that Kafka did not answer.
KAFKA_ANSWER_ATTEMPTS = 5


def asks_kafka_again(
    question: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """`question` retried a few times on a retriable Kafka error; the last error propagates."""

    @functools.wraps(question)
    async def asked(*args: P.args, **kwargs: P.kwargs) -> R:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retriable),
            stop=stop_after_attempt(KAFKA_ANSWER_ATTEMPTS),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        ):
            with attempt:
                return await question(*args, **kwargs)
        raise AssertionError("unreachable: the last attempt re-raises")  # pragma: no cover

    return asked


@asks_kafka_again
async def consumer_lag(
    kafka: KafkaSettings, group: str, topics: Sequence[str] = ()
) -> list[tuple[str, int, int | None, int]]:
    """(topic, partition, committed offset or None, lag) of every partition the group consumes.

    The partitions are those of the topics the group has committed on, its members subscribe to,
    and `topics`. A partition without a committed offset counts from its beginning, where the
    suite's consumers start (`auto_offset_reset="earliest"`): a group that never committed shows
    everything as lag, not nothing.
    """
    return await _consumer_lag_once(kafka, group, topics)


async def _consumer_lag_once(
    kafka: KafkaSettings, group: str, topics: Sequence[str]
) -> list[tuple[str, int, int | None, int]]:
    admin = AIOKafkaAdminClient(**kafka.client_options())
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = {
            tp: meta.offset
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
            if meta.offset >= 0
        }
        wanted = {tp.topic for tp in committed} | await subscribed_topics(admin, group)
        wanted |= set(topics)
        partitions = set(committed)
        for entry in await admin.describe_topics(sorted(wanted)) if wanted else []:
            if entry.get("error_code", 0) == 0:
                for partition in entry.get("partitions", []):
                    partitions.add(TopicPartition(entry["topic"], partition["partition"]))
        ordered = sorted(partitions)
        end = await consumer.end_offsets(ordered) if ordered else {}
        uncommitted = [tp for tp in ordered if tp not in committed]
        beginning = await consumer.beginning_offsets(uncommitted) if uncommitted else {}
        return [
            (
                tp.topic,
                tp.partition,
                committed.get(tp),
                max(end[tp] - committed.get(tp, beginning.get(tp, 0)), 0),
            )
            for tp in ordered
        ]
    finally:
        await consumer.stop()
        await admin.close()


@asks_kafka_again
async def message_count(kafka: KafkaSettings, topic: str) -> int:
    """How many messages `topic` holds (end minus first offset still kept, every partition);
    0 when it does not exist."""
    partitions = await topic_partitions(kafka, topic)
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        beginning = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return sum(max(end[tp] - beginning[tp], 0) for tp in partitions)


@asks_kafka_again
async def read_message(
    kafka: KafkaSettings, topic: str, partition: int, offset: int, *, wait_seconds: float = 5.0
) -> DeadLetter | None:
    """The message at `partition`/`offset` of `topic` (None when the topic, the partition or
    the offset holds none), read without a consumer group."""
    wanted = TopicPartition(topic, partition)
    if wanted not in await topic_partitions(kafka, topic):
        return None
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([wanted])
        first = (await consumer.beginning_offsets([wanted]))[wanted]
        end = (await consumer.end_offsets([wanted]))[wanted]
        if not first <= offset < end:
            return None
        consumer.seek(wanted, offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while loop.time() < deadline:
            batch = await consumer.getmany(wanted, timeout_ms=500, max_records=1)
            for record in batch.get(wanted, []):
                if record.offset == offset:
                    return DeadLetter.from_record(record)
                if record.offset > offset:  # compacted away meanwhile
                    return None
        raise TimeoutError(f"{topic}/{partition}/{offset} was not read within {wait_seconds} s")
    finally:
        await consumer.stop()
