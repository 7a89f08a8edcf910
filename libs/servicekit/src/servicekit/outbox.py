"""Transactional outbox: events join the caller's transaction; a relay publishes after commit."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from faststream.kafka import KafkaBroker
from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    MetaData,
    Result,
    Row,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from contracts import CONTENT_TYPE, CloudEvent, EventType, topic_of
from servicekit.auth import current_actor
from servicekit.background import BackgroundLoop
from servicekit.db import asyncpg_dsn
from servicekit.http import InvalidInput
from servicekit.notify import wake_after_commit, wake_in_process
from servicekit.observability import (
    OUTBOX_BACKLOG,
    OUTBOX_MEASURED,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PARKED,
    OUTBOX_PARKED_TOTAL,
    OUTBOX_PUBLISHED,
    OUTBOX_SHARDS_HELD,
    count_business_event,
)
from servicekit.sequencing import take_next_sequence, take_next_sequence_if
from servicekit.tracing import publishing, trace_extension

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox"

# What the relay's guarantees need from the process's one Kafka producer (the broker's): the
# broker retries without duplicating or reordering, and acknowledges once every in-sync replica
# has the record; batches travel zstd-compressed (cramjam, aiokafka's `zstd` extra). Pass these
# to `KafkaBroker(...)`.
RELIABLE_PRODUCER_OPTIONS: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "compression_type": "zstd",
}

# The largest event `record` accepts, serialized (UTF-8 JSON). Below the producer's
# `max_request_size` (1 MiB) with room for the key and headers, so an event written is an event
# the broker can take.
MAX_EVENT_BYTES = 1_000_000

# The outbox is split into SHARDS by a hash of the message key; a relay publishes a shard's rows
# only while it holds the shard's advisory lock (ADR 7). The hash is computed, never stored, so
# the number can change between releases (all relays of a service must agree on it).
SHARDS = 32
_SHARD_OF_KEY = "get_byte(decode(md5(key), 'hex'), 0) % 32"  # md5's first byte: 0..255
# Advisory lock keys (int4, int4): (space, shard) for shards, (space, SHARDS) for "a relay runs".
RELAY_LOCK_SPACE = int.from_bytes(b"outb", "big")
_PRESENCE = SHARDS

# A relay keeps its shards from one batch to the next: session-level advisory locks on its own
# connection (the one it listens on), so a batch needs no transaction (ADR 41). Every
# `rebalance_interval` it counts the relays running (each holds the shared presence lock while
# its connection lives) and keeps its fair share: it gives back shards above the share, and takes
# free ones below it in a random order (spreading them evenly over the relays). The candidates
# are a MATERIALIZED CTE so that their order is complete before the outer WHERE tries the locks,
# and the LIMIT stops the tries at the share. The SQL is constant: nothing in it comes from input.
_RELAYS_RUNNING = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"  # noqa: S608
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f" AND classid = CAST({RELAY_LOCK_SPACE} AS oid) AND objid = CAST({_PRESENCE} AS oid)"
    " AND objsubid = 2"
)
_TAKE_SHARDS = (
    "WITH candidates AS MATERIALIZED ("  # noqa: S608
    " SELECT shard FROM unnest(CAST($1 AS integer[])) AS candidate(shard) ORDER BY random())"
    f" SELECT shard FROM candidates WHERE pg_try_advisory_lock({RELAY_LOCK_SPACE}, shard)"
    " LIMIT $2"
)
_GIVE_BACK_SHARDS = (
    f"SELECT pg_advisory_unlock({RELAY_LOCK_SPACE}, shard)"  # noqa: S608
    " FROM unnest(CAST($1 AS integer[])) AS given(shard)"
)

# The oldest publishable rows of some shards ($1), at most $2: not published, not parked, and
# not behind a parked row of their key, in id order. The parked rows (each key's first) are
# gathered once per batch, in a MATERIALIZED CTE, not looked up per candidate: the relay's
# generic plan is made when almost nothing waits, so it expects one unpublished row, and a
# correlated lookup then rescanned every unpublished row for each candidate (2.9 s for a batch
# of 500 behind a backlog of 20,000; docs/performance.md, forty-fourth round). Gathered once,
# the cost grows with the backlog, not with the backlog times the batch.
_NEXT_ROWS = (
    "WITH parked AS MATERIALIZED ("  # noqa: S608
    " SELECT key, min(id) AS first_id FROM outbox"
    " WHERE failed_at IS NOT NULL AND published_at IS NULL GROUP BY key)"
    " SELECT id, event_type, topic, key, payload, CAST(headers AS text) AS headers"
    " FROM outbox WHERE published_at IS NULL AND failed_at IS NULL"
    f" AND {_SHARD_OF_KEY} = ANY(CAST($1 AS integer[]))"
    " AND NOT EXISTS (SELECT 1 FROM parked"
    "  WHERE parked.key = outbox.key AND parked.first_id < outbox.id)"
    " ORDER BY id LIMIT $2"
)

_RELAY_SERVER_SETTINGS = {"plan_cache_mode": "force_generic_plan"}

# Marking and parking are one statement per batch whatever its size, with the ids (and errors)
# as arrays: the SQL text never changes, so it is prepared once per connection.
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY(CAST($1 AS bigint[]))"
_PARK = (
    "UPDATE outbox SET failed_at = now(), error = parked.error"
    " FROM unnest(CAST($1 AS bigint[]), CAST($2 AS text[])) AS parked(id, error)"
    " WHERE outbox.id = parked.id"
)

# Refusals that publishing the same row again cannot cure: such a row is parked (ADR 7).
PERMANENT_REFUSALS: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    UnicodeError,  # the payload or a header cannot be encoded
)


def shard_of(key: str) -> int:
    """The shard of a message key, as the relay's SQL computes it."""
    return hashlib.md5(key.encode(), usedforsecurity=False).digest()[0] % SHARDS


class EventTooLarge(InvalidInput):
    """An event whose serialized form exceeds `MAX_EVENT_BYTES`: the broker would refuse it.

    A 422 problem, so an API refuses the request that caused it, naming the limit.
    """

    def __init__(self, event_type: str, size: int, limit: int) -> None:
        message = (
            f"the {event_type} event this request causes would be {size:,} bytes; "
            f"the limit is {limit:,} bytes"
        )
        super().__init__(
            message,
            errors=[{"field": "body", "message": message}],
            limit_bytes=limit,
            size_bytes=size,
        )
        self.event_type = event_type
        self.size = size
        self.limit = limit


async def write_and_record(
    session: AsyncSession,
    outbox: Table,
    write: ReturningInsert[Any],
    parameters: Mapping[str, Any],
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    numbered_by: Table | None = None,
) -> Row[Any]:
    """Run `write` (an INSERT … RETURNING of one row, with `WITH`s of its own if it has any)
    with `parameters`, and record `event` as `add_to_outbox` does, in one statement; the row
    `write` returns. Its parameters must not be named as the outbox row's."""
    sent = await _written_and_recorded(session, outbox, write, parameters, event, key, numbered_by)
    written: Row[Any] = sent.one()
    wake_relay_after_commit(session)
    return written


async def write_and_record_if_written(
    session: AsyncSession,
    outbox: Table,
    write: ReturningInsert[Any],
    parameters: Mapping[str, Any],
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    numbered_by: Table | None = None,
) -> Row[Any] | None:
    """`write_and_record` for a `write` that may write nothing (an INSERT … ON CONFLICT DO
    NOTHING RETURNING): `event` is recorded, and numbered, only if it wrote its row. That row,
    or None when it wrote nothing (then nothing at all was written)."""
    sent = await _written_and_recorded(
        session, outbox, write, parameters, event, key, numbered_by, only_if_written=True
    )
    written: Row[Any] | None = sent.first()
    if written is not None:
        wake_relay_after_commit(session)
    return written


async def _written_and_recorded(
    session: AsyncSession,
    outbox: Table,
    write: ReturningInsert[Any],
    parameters: Mapping[str, Any],
    event: CloudEvent[Any],
    key: str | None,
    numbered_by: Table | None,
    *,
    only_if_written: bool = False,
) -> Result[Any]:
    """Send the statement of `write` and `event`'s outbox row (`_writing_and_recording`)."""
    recording = outbox_row if numbered_by is None else numbered_outbox_row
    statement = _writing_and_recording(write, outbox, numbered_by, only_if_written)
    sent: Result[Any] = await session.execute(
        statement, {**parameters, **recording(event, key=key)}
    )
    return sent


@functools.cache  # per statement, outbox, counters and condition: built once
def _writing_and_recording(
    write: ReturningInsert[Any], outbox: Table, numbered_by: Table | None, only_if_written: bool
) -> Select[Any]:
    """`write` as a `WITH`, and the outbox's INSERT of the event (numbered by `numbered_by`'s
    counters, if given); with `only_if_written`, the event only if `write` wrote its row."""
    written = write.cte("written")
    if only_if_written:
        wrote = exists(written.select())
        if numbered_by is None:
            record = outbox_insert_if(outbox, wrote)
        else:
            record = numbered_outbox_insert_if(outbox, numbered_by, wrote)
    elif numbered_by is None:
        record = outbox_insert(outbox)
    else:
        record = numbered_outbox_insert(outbox, numbered_by)
    return select(*written.c).add_cte(record.cte("recorded"))


async def add_to_outbox(
    session: AsyncSession,
    outbox: Table,
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    topic: str | None = None,
    max_bytes: int = MAX_EVENT_BYTES,
    numbered_by: Table | None = None,
) -> None:
    """Record `event` for publication; it is published only if the caller's transaction commits.

    The topic comes from the catalogue unless given; the key defaults to the event's subject
    (the order id for anything about an order): one order's events stay in one partition, in
    order. An event larger than `max_bytes` serialized raises `EventTooLarge`. With
    `numbered_by` (the service's `event_sequences`), the event is numbered with its key's next
    sequence in the same statement (`numbered_outbox_insert`).
    """
    if numbered_by is None:
        insert, row = (
            outbox_insert(outbox),
            outbox_row(event, key=key, topic=topic, max_bytes=max_bytes),
        )
    else:
        insert = numbered_outbox_insert(outbox, numbered_by)
        row = numbered_outbox_row(event, key=key, topic=topic, max_bytes=max_bytes)
    await session.execute(insert, row)
    wake_relay_after_commit(session)


async def add_all_to_outbox(
    session: AsyncSession,
    outbox: Table,
    events: Sequence[CloudEvent[Any]],
    *,
    numbered_by: Table | None = None,
) -> None:
    """`add_to_outbox` for each of `events`, keyed by its subject, in order: one statement per
    event (each numbered by its own, as `add_to_outbox` numbers), sent together in one exchange
    (executemany). For a use case that records an event for each of many aggregates."""
    if not events:
        return
    if numbered_by is None:
        await session.execute(outbox_insert(outbox), [outbox_row(event) for event in events])
    else:
        rows = [numbered_outbox_row(event) for event in events]
        await session.execute(numbered_outbox_insert(outbox, numbered_by), rows)
    wake_relay_after_commit(session)


def wake_relay_after_commit(session: AsyncSession) -> None:
    """The relay looks for the rows this transaction recorded once it commits (for a service
    that puts the outbox's INSERT in a statement of its own)."""
    wake_after_commit(session, NOTIFY_CHANNEL)


def outbox_row(
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    topic: str | None = None,
    max_bytes: int = MAX_EVENT_BYTES,
) -> dict[str, Any]:
    """The parameters of `outbox_insert` that record `event`, as `add_to_outbox` does: for a
    service that puts the INSERT in a statement of its own (and then calls
    `wake_relay_after_commit`)."""
    if event.actor is None and (actor := current_actor()) is not None:
        event = event.model_copy(update={"actor": actor})  # who made the change, from the token
    if (trace_context := trace_extension()) and not (event.model_extra or {}).get("traceparent"):
        event = event.model_copy(update=trace_context)  # CloudEvents distributed tracing
    topic_name = topic or topic_of(EventType(event.type)).name
    message_key = key or event.subject
    if not message_key:
        raise ValueError(f"event {event.type} has no subject and no key was given")
    payload = event.model_dump_json()
    if (size := len(payload.encode())) > max_bytes:
        raise EventTooLarge(event.type, size, max_bytes)
    return {
        "new_event_id": event.id,
        "new_event_type": event.type,
        "new_topic": topic_name,  # the logical name; the relay adds the deployment's prefix
        "new_key": message_key,
        "new_payload": payload,
        "new_headers": {
            "content-type": CONTENT_TYPE,
            "ce_type": event.type,
            "ce_id": event.id,
        },
    }


# An unnumbered envelope's `sequence` as `model_dump_json` writes it. The attributes dumped
# before it are strings or null, where a quote is escaped, so its first occurrence is the
# envelope's own (a key `sequence` inside `data` comes after it).
_UNNUMBERED = '"sequence":null'


def cut_at_sequence(payload: str) -> tuple[str, str]:
    """An unnumbered event's JSON (`model_dump_json`) cut where its number goes: the event
    numbered N is `head + str(N) + tail` (`numbered_payload` in SQL)."""
    head, unnumbered, tail = payload.partition(_UNNUMBERED)
    if not unnumbered:
        raise ValueError("the event was serialized without its sequence attribute")
    return head + '"sequence":', tail


def numbered_outbox_row(
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    topic: str | None = None,
    max_bytes: int = MAX_EVENT_BYTES,
) -> dict[str, Any]:
    """The parameters of `numbered_outbox_insert` that record `event` (without a sequence):
    `outbox_row`'s, with the payload cut where its number goes."""
    if event.sequence is not None:
        raise ValueError(f"event {event.id} is numbered already")
    row = outbox_row(event, key=key, topic=topic, max_bytes=max_bytes)
    head, tail = cut_at_sequence(row.pop("new_payload"))
    return row | {"new_payload_head": head, "new_payload_tail": tail}


@functools.cache
def event_numbering(sequences: Table) -> CTE:
    """The `WITH` that takes the next sequence of the outbox row's key (`new_key`) from
    `sequences` (`sequencing.take_next_sequence`): its `last` is the event's number.
    One object per table, so every part of a statement that reads it reads the same `WITH`."""
    return take_next_sequence(sequences, "new_key").cte("numbered")


def numbered_payload(prefix: str, numbering: CTE) -> ColumnElement[str]:
    """The JSON of the event numbered by `numbering`, from the parameters `<prefix>_head` and
    `<prefix>_tail` (`cut_at_sequence`)."""
    return (
        bindparam(f"{prefix}_head", type_=Text)
        + cast(numbering.c["last"], Text)
        + bindparam(f"{prefix}_tail", type_=Text)
    )


@functools.cache
def numbered_outbox_insert(outbox: Table, sequences: Table) -> Insert:
    """The outbox's INSERT of an event numbered as it is written (built once), from
    `numbered_outbox_row`'s parameters: the bytes are those of the event dumped with its
    number, in one round trip instead of two."""
    return _numbered_insert(outbox, event_numbering(sequences))


def numbered_outbox_insert_if(outbox: Table, sequences: Table, when: ColumnElement[bool]) -> Insert:
    """`numbered_outbox_insert` as a part of the caller's statement that records the event only
    if `when` holds (a condition on its other parts): otherwise no row is written and no number
    taken. Built per call: the caller builds its statement once."""
    numbering = take_next_sequence_if(sequences, "new_key", when).cte("numbered")
    return _numbered_insert(outbox, numbering)


def _numbered_insert(outbox: Table, numbering: CTE) -> Insert:
    columns = ("event_id", "event_type", "topic", "key", "headers")
    values = [bindparam(f"new_{column}", type_=outbox.c[column].type) for column in columns]
    payload = numbered_payload("new_payload", numbering)
    return outbox.insert().from_select(
        [*columns, "payload"], select(*values, payload).select_from(numbering)
    )


_OUTBOX_COLUMNS = ("event_id", "event_type", "topic", "key", "payload", "headers")


@functools.cache
def outbox_insert(outbox: Table) -> Insert:
    """The outbox's INSERT, built once; the value of each column is the parameter `new_<column>`
    (a column's own name is reserved for SQLAlchemy's automatic parameters)."""
    return outbox.insert().values(
        {
            column: bindparam(f"new_{column}", type_=outbox.c[column].type)
            for column in _OUTBOX_COLUMNS
        }
    )


def outbox_insert_if(outbox: Table, when: ColumnElement[bool]) -> Insert:
    """`outbox_insert` as a part of the caller's statement that records the event only if
    `when` holds (a condition on its other parts). Built per call: the caller builds its
    statement once."""
    values = [bindparam(f"new_{column}", type_=outbox.c[column].type) for column in _OUTBOX_COLUMNS]
    return outbox.insert().from_select(list(_OUTBOX_COLUMNS), select(*values).where(when))


@dataclass(frozen=True, slots=True)
class PendingRow:
    """An outbox row waiting to be published, as the relay reads it."""

    id: int
    event_type: str
    topic: str
    key: str
    payload: str
    headers: dict[str, str]

    @classmethod
    def of(cls, record: asyncpg.Record) -> PendingRow:
        return cls(
            id=record["id"],
            event_type=record["event_type"],
            topic=record["topic"],
            key=record["key"],
            payload=record["payload"],
            headers=json.loads(record["headers"]),
        )


@dataclass
class _Outcome:
    """What became of one batch: rows Kafka acknowledged, rows parked with their error."""

    published: list[PendingRow] = field(default_factory=list)
    parked: list[tuple[PendingRow, str]] = field(default_factory=list)


class OutboxRelay:
    """Publishes committed outbox rows to Kafka, each key's rows in id order, and marks them
    after the broker acks.

    It publishes through the process's FastStream broker (started by its owner, built with
    `RELIABLE_PRODUCER_OPTIONS`), so a service runs one Kafka producer.

    Woken by LISTEN/NOTIFY, with polling as a fallback; while it holds every shard, the commits
    of its own process wake it directly, without a NOTIFY (ADR 52). Any number of replicas share
    the work by shards of the key space (ADR 7, ADR 41): a relay holds its fair share of the
    shards (SHARDS divided by the relays running, counted by a shared advisory lock each holds)
    as session-level advisory locks on its own connection, the one it listens on, and checks the
    share every `rebalance_interval`. A batch runs on that connection without a transaction: it
    reads the oldest rows of the relay's shards, publishes them, and marks what Kafka
    acknowledged (two statements). One key's rows are so published by one relay at a time, in id
    order. A relay that dies, or whose batch fails, closes that connection: its shards are free
    for the others at their next check. A crash between the broker's ack and the mark
    republishes the batch: delivery is at-least-once, and consumers' inboxes make the effect
    exactly-once.

    A row Kafka refuses for good (`PERMANENT_REFUSALS`) is parked (`failed_at`, `error`); the
    later rows of its key wait behind it, other keys keep flowing.
    """

    def __init__(
        self,
        *,
        service: str,
        metadata: MetaData,
        sessionmaker: async_sessionmaker[AsyncSession],
        database_url: str,
        broker: KafkaBroker,
        topic_prefix: str = "",
        batch_size: int = 200,
        poll_interval: float = 2.0,
        gauge_interval: float = 5.0,
        rebalance_interval: float = 5.0,
    ) -> None:
        self.service = service
        self.outbox = metadata.tables["outbox"]
        self.sessionmaker = sessionmaker  # the gauges' reads
        self.database_url = database_url
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.rebalance_interval = rebalance_interval
        self._broker = broker  # started and stopped by its owner
        self.topic_prefix = topic_prefix
        self._listener: asyncpg.Connection | None = None
        self._shards: list[int] = []  # held on `_listener`, lost with it
        self._next_rebalance = 0.0  # monotonic time of the next check of the share
        self._batch_was_full = False
        self._one_batch_at_a_time = asyncio.Lock()  # they share one connection
        self._loop = BackgroundLoop(
            f"{service}-outbox-relay",
            self._round,
            interval=poll_interval,
            on_error=self._close_listener,  # the next round listens on a fresh connection
            logger=log,
        )
        # The gauges have a loop of their own: they keep moving while publishing fails.
        self._gauges = BackgroundLoop(
            f"{service}-outbox-gauges", self._measure, interval=gauge_interval, logger=log
        )
        self._not_woken_in_process: Callable[[], None] | None = None

    @property
    def connection(self) -> asyncpg.Connection | None:
        """The relay's own connection (its LISTEN, its shard locks, its batches), if open."""
        return self._listener

    async def start(self) -> None:
        await self._loop.start()
        await self._gauges.start()
        if self._not_woken_in_process is None:
            self._not_woken_in_process = wake_in_process(
                self.database_url, NOTIFY_CHANNEL, self._loop.wake, self._holds_every_shard
            )

    async def stop(self) -> None:
        if self._not_woken_in_process is not None:
            self._not_woken_in_process()
            self._not_woken_in_process = None
        await self._loop.stop()
        await self._gauges.stop()
        await self._close_listener()

    async def _round(self) -> float | None:
        await self.publish_pending()
        return 0 if self._batch_was_full else None  # a full batch: likely more waiting

    async def publish_pending(self) -> int:
        """Publish one batch of this relay's shards; returns how many rows were published.

        A failure closes the relay's connection, giving its shards back, as the rollback of a
        batch's transaction did: the next call starts on a fresh connection."""
        async with self._one_batch_at_a_time:
            return await self._publish_batch()

    async def _publish_batch(self) -> int:
        self._batch_was_full = False
        try:
            connection = await self._ensure_listener()
            shards = await self._held_shards(connection)
            if not shards:
                return 0
            rows = [
                PendingRow.of(r)
                for r in await connection.fetch(_NEXT_ROWS, shards, self.batch_size)
            ]
            self._batch_was_full = len(rows) >= self.batch_size
            if not rows:
                return 0
            outcome = await self._publish(rows)
            if outcome.parked:
                await self._park(connection, outcome.parked)
            if outcome.published:
                await self._mark_published(connection, [row.id for row in outcome.published])
        except BaseException:
            await self._close_listener()
            raise
        for row, error in outcome.parked:
            OUTBOX_PARKED_TOTAL.labels(self.service, row.topic).inc()
            log.error(
                "outbox row %s (%s, key %s) parked: Kafka refused it for good: %s",
                row.id,
                row.event_type,
                row.key,
                error,
            )
        for row in outcome.published:
            OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()
            count_business_event(self.service, row.event_type, row.payload)
        return len(outcome.published)

    def _holds_every_shard(self) -> bool:
        """No other relay publishes a row of this outbox now: a NOTIFY would wake only this one."""
        listener = self._listener
        return len(self._shards) == SHARDS and listener is not None and not listener.is_closed()

    async def _held_shards(self, connection: asyncpg.Connection) -> list[int]:
        """The shards this relay holds, its fair share checked first when it is due."""
        now = time.monotonic()
        if now >= self._next_rebalance:
            self._next_rebalance = now + self.rebalance_interval
            await self._rebalance(connection)
        return self._shards

    async def _rebalance(self, connection: asyncpg.Connection) -> None:
        """Hold a fair share of the shards: give back those above it, take free ones below it."""
        relays = int(await connection.fetchval(_RELAYS_RUNNING))
        share = math.ceil(SHARDS / max(relays, 1))
        held = self._shards
        if len(held) > share:
            await connection.execute(_GIVE_BACK_SHARDS, held[share:])
            held = held[:share]
        elif len(held) < share:
            free = [shard for shard in range(SHARDS) if shard not in held]
            taken = await connection.fetch(_TAKE_SHARDS, free, share - len(held))
            held = sorted([*held, *(record["shard"] for record in taken)])
        self._shards = held
        OUTBOX_SHARDS_HELD.labels(self.service).set(len(held))

    async def _publish(self, rows: Sequence[PendingRow]) -> _Outcome:
        # With no_confirm, publish() only enqueues, in call order: rows of one key keep their
        # order in the partition, and the batch travels together. Waiting for every confirmation
        # means each row was acknowledged (acks=all) before the caller marks them.
        outcome = _Outcome()
        held_back: set[str] = set()  # keys with a row parked in this batch: the rest waits
        sent: list[tuple[PendingRow, Awaitable[Any]]] = []
        for row in rows:
            if row.key in held_back:
                continue
            try:
                topic = self.topic_prefix + row.topic
                with publishing(topic, row.payload, row.headers) as headers:
                    confirmation = await self._broker.publish(
                        row.payload.encode(),
                        topic,
                        key=row.key.encode(),
                        headers=headers,
                        correlation_id=_correlation_id(row),
                        no_confirm=True,
                    )
            except PERMANENT_REFUSALS as exc:  # refused before sending, e.g. too large
                outcome.parked.append((row, _describe(exc)))
                held_back.add(row.key)
                continue
            sent.append((row, confirmation))
        results = await asyncio.gather(*(c for _, c in sent), return_exceptions=True)
        for (row, _), result in zip(sent, results, strict=True):
            if isinstance(result, PERMANENT_REFUSALS):
                # Refused by the broker after sending: later rows of its key may already be out.
                outcome.parked.append((row, _describe(result)))
            elif isinstance(result, BaseException):
                raise result  # transient: nothing is marked, the batch is sent again
            else:
                outcome.published.append(row)
        return outcome

    async def _mark_published(self, connection: asyncpg.Connection, ids: list[int]) -> None:
        await connection.execute(_MARK_PUBLISHED, ids)

    async def _park(
        self, connection: asyncpg.Connection, parked: list[tuple[PendingRow, str]]
    ) -> None:
        await connection.execute(
            _PARK, [row.id for row, _ in parked], [error for _, error in parked]
        )

    async def _measure(self) -> None:
        """Set the outbox gauges from the database, whatever Kafka is doing."""
        backlog, oldest, parked = await outbox_state(self.sessionmaker, self.outbox)
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        OUTBOX_PARKED.labels(self.service).set(parked)
        OUTBOX_MEASURED.labels(self.service).set_to_current_time()

    async def _ensure_listener(self) -> asyncpg.Connection:
        if self._listener is not None and not self._listener.is_closed():
            return self._listener
        self._shards, self._next_rebalance = [], 0.0  # a new connection holds nothing yet
        # Its statements find rows by keys and id arrays: planned once each, not at every
        # batch (the marking's plan otherwise depends on the number of ids; ADR 59).
        listener = await asyncpg.connect(
            asyncpg_dsn(self.database_url), server_settings=_RELAY_SERVER_SETTINGS
        )
        try:
            await listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._loop.wake())
            # Held while this connection lives: the other relays count it to size their share.
            await listener.execute(
                "SELECT pg_advisory_lock_shared($1, $2)", RELAY_LOCK_SPACE, _PRESENCE
            )
        except BaseException:
            await listener.close()
            raise
        self._listener = listener
        return listener

    async def _close_listener(self) -> None:
        """Close the relay's connection: its shard locks and its presence go with it."""
        listener, self._listener, self._shards = self._listener, None, []
        OUTBOX_SHARDS_HELD.labels(self.service).set(0)
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close()


async def outbox_state(
    sessionmaker: async_sessionmaker[AsyncSession], outbox: Table
) -> tuple[int, datetime | None, int]:
    """(rows waiting to be published, creation time of the oldest, parked rows)."""
    waiting = and_(outbox.c.published_at.is_(None), outbox.c.failed_at.is_(None))
    async with sessionmaker() as session:
        backlog, oldest, parked = (
            await session.execute(
                select(
                    func.count().filter(waiting),
                    func.min(outbox.c.created_at).filter(waiting),
                    func.count().filter(outbox.c.failed_at.is_not(None)),
                ).where(outbox.c.published_at.is_(None))
            )
        ).one()
    return int(backlog), oldest, int(parked)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _correlation_id(row: PendingRow) -> str | None:
    """The event's CloudEvents correlation id, for FastStream's `correlation_id` header."""
    try:
        correlation_id = json.loads(row.payload).get("correlationid")
    except (ValueError, AttributeError):
        return None  # only a header is lost: the row is still published as it is
    return str(correlation_id) if correlation_id else None
