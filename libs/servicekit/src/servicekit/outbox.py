"""Transactional outbox: events join the caller's transaction; a relay publishes after commit."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Sequence
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
    Table,
    Text,
    and_,
    bindparam,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Select

from contracts import CONTENT_TYPE, CloudEvent, EventType, topic_of
from servicekit.auth import current_actor
from servicekit.background import BackgroundLoop
from servicekit.db import asyncpg_dsn
from servicekit.http import InvalidInput
from servicekit.notify import insert_and_notify
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
from servicekit.sequencing import take_next_sequence
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

# One statement takes a batch's shards: it counts the relays running (each holds the shared
# presence lock while it lives) to size this relay's fair share, orders the shards those of the
# oldest waiting rows first, then the others at random (spreading them evenly over the relays),
# and takes the transaction's advisory locks of free shards in that order until it holds its
# share. The order is a MATERIALIZED CTE so that it is complete before the outer WHERE tries
# the locks (the planner pushes no qual into it; pushed into a plain subquery, the lock function
# would run on every shard before the sort), and the LIMIT stops the tries at the share. The SQL
# is a constant: nothing in it comes from input.
_LOCK_SHARDS = text(
    "WITH relays AS ("  # noqa: S608 (a constant: the shard expression is ours)
    " SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
    "  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    f"  AND classid = CAST({RELAY_LOCK_SPACE} AS oid) AND objid = CAST({_PRESENCE} AS oid)"
    " AND objsubid = 2),"
    " waiting AS ("
    f" SELECT {_SHARD_OF_KEY} AS shard, min(id) AS oldest FROM"
    "  (SELECT id, key FROM outbox WHERE published_at IS NULL AND failed_at IS NULL"
    "   ORDER BY id LIMIT :window) AS oldest_rows"
    "  GROUP BY 1),"
    " ordered AS MATERIALIZED ("
    f" SELECT candidate.shard FROM generate_series(0, {SHARDS - 1}) AS candidate(shard)"
    "  LEFT JOIN waiting ON waiting.shard = candidate.shard"
    "  ORDER BY waiting.oldest NULLS LAST, random())"
    " SELECT shard FROM ordered"
    f" WHERE pg_try_advisory_xact_lock({RELAY_LOCK_SPACE}, shard)"
    f" LIMIT (SELECT CAST(ceil({SHARDS} / CAST(greatest(n, 1) AS numeric)) AS integer) FROM relays)"
)

# Marking and parking are one statement per batch whatever its size, with the ids (and errors)
# as arrays: the SQL text never changes, so it is prepared once per connection.
_MARK_PUBLISHED = text(
    "UPDATE outbox SET published_at = now() WHERE id = ANY(CAST(:ids AS bigint[]))"
)
_PARK = text(
    "UPDATE outbox SET failed_at = now(), error = parked.error"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:errors AS text[])) AS parked(id, error)"
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
    # NOTIFY is transactional: the relay is woken only once this transaction commits.
    await insert_and_notify(session, insert, row, NOTIFY_CHANNEL)


def outbox_row(
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    topic: str | None = None,
    max_bytes: int = MAX_EVENT_BYTES,
) -> dict[str, Any]:
    """The parameters of `outbox_insert` that record `event`, as `add_to_outbox` does: for a
    service that puts the INSERT in a statement of its own (and then calls
    `servicekit.notify.notified`, or sends the notification in it)."""
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
    numbering = event_numbering(sequences)
    columns = ("event_id", "event_type", "topic", "key", "headers")
    values = [bindparam(f"new_{column}", type_=outbox.c[column].type) for column in columns]
    payload = numbered_payload("new_payload", numbering)
    return outbox.insert().from_select(
        [*columns, "payload"], select(*values, payload).select_from(numbering)
    )


@functools.cache
def outbox_insert(outbox: Table) -> Insert:
    """The outbox's INSERT, built once; the value of each column is the parameter `new_<column>`
    (a column's own name is reserved for SQLAlchemy's automatic parameters)."""
    columns = ("event_id", "event_type", "topic", "key", "payload", "headers")
    return outbox.insert().values(
        {column: bindparam(f"new_{column}", type_=outbox.c[column].type) for column in columns}
    )


@dataclass
class _Outcome:
    """What became of one batch: rows Kafka acknowledged, rows parked with their error."""

    published: list[Row[Any]] = field(default_factory=list)
    parked: list[tuple[Row[Any], str]] = field(default_factory=list)


class OutboxRelay:
    """Publishes committed outbox rows to Kafka, each key's rows in id order, and marks them
    after the broker acks.

    It publishes through the process's FastStream broker (started by its owner, built with
    `RELIABLE_PRODUCER_OPTIONS`), so a service runs one Kafka producer.

    Woken by LISTEN/NOTIFY, with polling as a fallback. Any number of replicas share the work by
    shards of the key space (ADR 7): each batch runs in a transaction that first takes the
    transaction-level advisory locks of up to its fair share of shards (SHARDS divided by the
    relays running, counted by a shared advisory lock each holds on its listening connection),
    skipping shards another relay holds, then publishes those shards' oldest rows. One key's rows
    are so published by one transaction at a time, in id order, and a relay that dies releases
    its shards with its transaction. A crash between the broker's ack and the mark republishes
    the batch: delivery is at-least-once, and consumers' inboxes make the effect exactly-once.

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
    ) -> None:
        self.service = service
        self.outbox = metadata.tables["outbox"]
        self.sessionmaker = sessionmaker
        self.database_url = database_url
        self.batch_size = batch_size
        self._next_rows = self._next_rows_of_shards()  # built once: it runs every round
        self.poll_interval = poll_interval
        self._broker = broker  # started and stopped by its owner
        self.topic_prefix = topic_prefix
        self._listener: asyncpg.Connection | None = None
        self._batch_was_full = False
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

    async def start(self) -> None:
        await self._loop.start()
        await self._gauges.start()

    async def stop(self) -> None:
        await self._loop.stop()
        await self._gauges.stop()
        await self._close_listener()

    async def _round(self) -> float | None:
        await self._ensure_listener()
        await self.publish_pending()
        return 0 if self._batch_was_full else None  # a full batch: likely more waiting

    async def publish_pending(self) -> int:
        """Publish one batch of this relay's shards; returns how many rows were published."""
        async with self.sessionmaker() as session, session.begin():
            shards = await self._lock_shards(session)
            OUTBOX_SHARDS_HELD.labels(self.service).set(len(shards))
            rows: Sequence[Row[Any]] = []
            if shards:
                rows = (await session.execute(self._next_rows, {"shards": shards})).all()
            self._batch_was_full = len(rows) >= self.batch_size
            if not rows:
                return 0
            outcome = await self._publish(rows)
            if outcome.parked:
                await self._park(session, outcome.parked)
            if outcome.published:
                await self._mark_published(session, [row.id for row in outcome.published])
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

    async def _lock_shards(self, session: AsyncSession) -> list[int]:
        """Take the transaction's advisory locks of up to a fair share of free shards, those of
        the oldest waiting rows first (one statement, `_LOCK_SHARDS`)."""
        locked = await session.execute(_LOCK_SHARDS, {"window": 4 * self.batch_size})
        return sorted(locked.scalars())

    def _next_rows_of_shards(self) -> Select[Any]:
        """The oldest publishable rows of some shards (the `shards` parameter): not published,
        not parked, and not behind a parked row of their key."""
        outbox = self.outbox
        parked = outbox.alias("parked")
        behind_parked = (
            select(parked.c.id)
            .where(
                parked.c.key == outbox.c.key,
                parked.c.failed_at.is_not(None),
                parked.c.published_at.is_(None),
                parked.c.id < outbox.c.id,
            )
            .exists()
        )
        return (
            select(outbox)
            .where(
                outbox.c.published_at.is_(None),
                outbox.c.failed_at.is_(None),
                text(f"{_SHARD_OF_KEY} = ANY(CAST(:shards AS integer[]))"),
                ~behind_parked,
            )
            .order_by(outbox.c.id)
            .limit(self.batch_size)
            # Relays never contend for rows (the shard locks keep them apart); this only makes
            # a relay of an earlier release, which claims rows by row locks, wait for us.
            .with_for_update(of=outbox)
        )

    async def _publish(self, rows: Sequence[Row[Any]]) -> _Outcome:
        # With no_confirm, publish() only enqueues, in call order: rows of one key keep their
        # order in the partition, and the batch travels together. Waiting for every confirmation
        # means each row was acknowledged (acks=all) before the caller marks them.
        outcome = _Outcome()
        held_back: set[str] = set()  # keys with a row parked in this batch: the rest waits
        sent: list[tuple[Row[Any], Awaitable[Any]]] = []
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

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        await session.execute(_MARK_PUBLISHED, {"ids": ids})

    async def _park(self, session: AsyncSession, parked: list[tuple[Row[Any], str]]) -> None:
        await session.execute(
            _PARK, {"ids": [row.id for row, _ in parked], "errors": [error for _, error in parked]}
        )

    async def _measure(self) -> None:
        """Set the outbox gauges from the database, whatever Kafka is doing."""
        backlog, oldest, parked = await outbox_state(self.sessionmaker, self.outbox)
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        OUTBOX_PARKED.labels(self.service).set(parked)
        OUTBOX_MEASURED.labels(self.service).set_to_current_time()

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(asyncpg_dsn(self.database_url))
        await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._loop.wake())
        # Held while this connection lives: the other relays count it to size their share.
        await self._listener.execute(
            "SELECT pg_advisory_lock_shared($1, $2)", RELAY_LOCK_SPACE, _PRESENCE
        )

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


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


def _correlation_id(row: Row[Any]) -> str | None:
    """The event's CloudEvents correlation id, for FastStream's `correlation_id` header."""
    try:
        correlation_id = json.loads(row.payload).get("correlationid")
    except (ValueError, AttributeError):
        return None  # only a header is lost: the row is still published as it is
    return str(correlation_id) if correlation_id else None
