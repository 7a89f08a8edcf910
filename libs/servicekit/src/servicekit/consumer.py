"""Idempotent consumers: inbox in the effect's transaction, retries, dead letters, late commits.

What happens to a failed attempt depends on what failed (`servicekit.failures.classify_failure`, by
SQLSTATE where the database said one; docs/adr/0002):
- a conflict (40001 serialization failure, 40P01 deadlock) reruns the transaction at once, a few
  times with a small jittered wait, then with backoff; it is never dead-lettered;
- the database being away (connection loss, class 08, 57P01/57P02/57P03, 53300) pauses the
  consumer with capped exponential backoff until it is back; the message stays unacknowledged;
- a permanent failure (data errors 22xxx, constraint violations 23xxx, `PermanentError`, a
  validation error) is dead-lettered at once with its reason;
- anything else is retried `max_attempts` times with backoff, then dead-lettered.

With `batch_size` > 1 the consumer reads up to that many records at once (a FastStream batch
subscriber) and handles them in ONE transaction: their inbox rows inserted by one statement,
the handlers run one after the other in offset order, one commit, then the offsets. If anything
in the batch fails, the transaction is rolled back and the batch is handled again one record at
a time, as above: a poison record is so isolated and dead-lettered, and the others take effect.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import time
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream._internal.context import Context  # the field class its annotations use
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import KafkaMessage as KafkaMessageClass
from pydantic import ValidationError
from sqlalchemy import MetaData, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, RetryCallState

import contracts
from contracts import PAYLOADS, CloudEvent, EventType, Topic, UnknownEventType
from servicekit.direct import pipeline
from servicekit.dlq import dead_letter_headers
from servicekit.failures import FailureKind as FailureKind
from servicekit.failures import PermanentError as PermanentError
from servicekit.failures import classify_failure as classify_failure
from servicekit.observability import (
    BATCHES_HANDLED_ONE_BY_ONE,
    DEAD_LETTERED,
    EVENT_RETRIES,
    EVENTS_CONSUMED,
    HANDLER_SECONDS,
    log_context,
)
from servicekit.offsets import OffsetCommitter
from servicekit.tracing import consuming
from servicekit.unit_of_work import run_at_commit

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent[Any], AsyncSession], Awaitable[None]]
"""Runs in the transaction that records the event in the inbox. The event it receives is the
typed model of the type it is registered for, so it may be annotated with its payload:
`async def handle(event: CloudEvent[OrderCompleted], session: AsyncSession) -> None`."""
# Run in a batch's transaction before its handlers, with the batch's new events: e.g. to lock
# the rows they will change in one consistent order, so two batches never deadlock.
BatchPreparation = Callable[[AsyncSession, Sequence[CloudEvent[Any]]], Awaitable[None]]


Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


class _OnTheLoop(Context):
    """FastStream's context field, looked up on the event loop. fast_depends runs a custom
    field's synchronous `use` in a worker thread: with FastStream's own `KafkaMessage`, every
    delivered message cost a hop to a thread and back for a dictionary lookup."""

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        resolved: dict[str, Any] = super().use(**kwargs)
        return resolved


# The message a subscriber is handed, as `faststream.kafka.annotations.KafkaMessage` but
# without the thread hop.
DeliveredMessage: TypeAlias = Annotated[KafkaMessageClass, _OnTheLoop("message")]

# A batch's inbox rows in one statement, the batch's columns as arrays: the SQL text is the same
# for any batch, so each connection prepares it once. RETURNING names the rows inserted; the
# others were already there (duplicates).
_CLAIM_BATCH = text(
    'INSERT INTO inbox (consumer, event_id, event_type, topic, partition, "offset")'
    " SELECT CAST(:consumer AS varchar), claimed.* FROM unnest("
    "  CAST(:event_ids AS varchar[]), CAST(:event_types AS varchar[]),"
    "  CAST(:topics AS varchar[]), CAST(:partitions AS integer[]), CAST(:offsets AS bigint[])"
    " ) AS claimed"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


def parse_event(value: bytes | None) -> CloudEvent[Any]:
    """Bytes from Kafka to the typed event of its `type`; raises ValueError/ValidationError on
    anything invalid (see `contracts.parse_event`)."""
    return contracts.parse_event(value)


def check_handler_payload(event_type: EventType, handler: Handler) -> None:
    """Refuse a handler annotated `CloudEvent[X]` registered for a type whose payload is not X.

    A wiring slip that would otherwise fail on the first event; handlers annotated otherwise
    (`CloudEvent[Any]`, a union, unresolvable names) are not checked.
    """
    try:
        first = next(iter(inspect.signature(handler).parameters))
        annotation = typing.get_type_hints(handler).get(first)
    except Exception:
        return
    generic = getattr(annotation, "__pydantic_generic_metadata__", None) or {}
    expected = (generic.get("args") or (Any,))[0]
    payload = PAYLOADS[event_type]
    if (
        generic.get("origin") is CloudEvent
        and expected is not Any
        and isinstance(expected, type)
        and not issubclass(payload, expected)
    ):
        raise ValueError(
            f"{getattr(handler, '__qualname__', handler)} takes {expected.__name__}, "
            f"but {event_type.value} carries {payload.__name__}"
        )


FETCH_GATHER_BYTES = 1 << 20  # with a fetch wait: return early only for this much (1 MiB)


@dataclass
class RetryPolicy:
    max_attempts: int = 5  # attempts of an unknown failure before the dead letter
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 10.0
    conflict_retries: int = 5  # 40001/40P01: immediate (jittered) reruns before backing off
    conflict_jitter_seconds: float = 0.05
    # The database is away: one delivery waits this long, then is handed back (nack) and read
    # again, so the consumer keeps polling within Kafka's max.poll.interval.ms (5 minutes).
    hold_seconds: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))

    def jittered_delay(self, attempt: int) -> float:
        """`delay` between half and all of it, so replicas do not retry in step."""
        return self.delay(attempt) * random.uniform(0.5, 1.0)


class HandBack(Exception):
    """A transient failure outlasted one hold: hand the message back (nack), never dead-letter."""


@dataclass
class _Outage:
    """Consecutive attempts that found the database away, across messages and deliveries."""

    failures: int = 0


class _Attempts:
    """One delivery's failed attempts, by kind: tenacity asks it whether, when and how long."""

    def __init__(self, policy: RetryPolicy, outage: _Outage) -> None:
        self.policy = policy
        self.outage = outage
        self.total = 0
        self.by_kind: dict[FailureKind, int] = dict.fromkeys(FailureKind, 0)
        self.last_kind = FailureKind.UNKNOWN

    def should_retry(self, state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        if not isinstance(error, Exception):
            return False  # cancellation and interpreter exit go through, never retried
        self.total += 1
        self.last_kind = classify_failure(error)
        self.by_kind[self.last_kind] += 1
        if self.last_kind is FailureKind.UNAVAILABLE:
            self.outage.failures += 1
        return self.last_kind is not FailureKind.PERMANENT

    def wait(self, state: RetryCallState) -> float:
        if self.last_kind is FailureKind.CONFLICT:
            conflicts = self.by_kind[FailureKind.CONFLICT]
            if conflicts <= self.policy.conflict_retries:
                return random.uniform(0, self.policy.conflict_jitter_seconds)
            return self.policy.jittered_delay(conflicts - self.policy.conflict_retries)
        if self.last_kind is FailureKind.UNAVAILABLE:
            # counted across deliveries: the pause keeps growing while the outage lasts
            return self.policy.jittered_delay(self.outage.failures)
        return self.policy.delay(self.by_kind[FailureKind.UNKNOWN])

    def should_stop(self, state: RetryCallState) -> bool:
        if self.last_kind is FailureKind.UNKNOWN:
            return self.by_kind[FailureKind.UNKNOWN] >= self.policy.max_attempts
        held = (state.seconds_since_start or 0.0) + (state.upcoming_sleep or 0.0)
        return held > self.policy.hold_seconds


class EventConsumer:
    """Consumes one topic for one consumer group and dispatches events by type.

    For each message: parse it (invalid → dead letter), skip it if its id is already in the
    inbox, else run the handler and record the id in the same transaction. Offsets are committed
    only after that commit (or after the dead letter is acknowledged by Kafka), so a crash
    redelivers, and the inbox makes the redelivery a no-op. They are committed together every
    `commit_interval` seconds rather than after each batch (`servicekit.offsets`).

    With `batch_size` > 1, records are read in batches of up to that many and each batch is
    handled in one transaction (see the module's docstring): a read waits for one record, then
    takes the ones already fetched behind it (docs/adr/0034).
    """

    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        topic: Topic,
        handlers: Mapping[EventType, Handler],
        metadata: MetaData,
        sessionmaker: async_sessionmaker[AsyncSession],
        retry: RetryPolicy | None = None,
        topic_prefix: str = "",
        batch_size: int = 1,
        prepare_batch: BatchPreparation | None = None,
        commit_interval: float = 1.0,
        fetch_wait_ms: int = 0,
    ) -> None:
        """`fetch_wait_ms`: how long a fetch lets records gather before it returns them (0: as
        soon as there is one); see `register`."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        unknown = set(handlers) - set(topic.event_types)
        if unknown:
            raise ValueError(f"{topic.name} carries no {sorted(unknown)}")
        for event_type, handler in handlers.items():
            check_handler_payload(event_type, handler)
        self.service = service
        self.group_id = group_id
        self.topic = topic
        self.prepare_batch = prepare_batch
        self.topic_name = topic_prefix + topic.name
        self.dlq_name = topic_prefix + topic.dlq
        self.handlers = dict(handlers)
        self.inbox = metadata.tables["inbox"]
        self.sessionmaker = sessionmaker
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self._outage = _Outage()
        self._broker: KafkaBroker | None = None
        self.offsets = OffsetCommitter(commit_interval)
        self.fetch_wait_ms = fetch_wait_ms
        self._dead_lettered = False

    def register(self, broker: KafkaBroker) -> None:
        """Subscribe on `broker`; dead letters are published through it too."""
        self._broker = broker
        # A series that exists at 0 lets `rate()`-based alerts see the very first dead letter.
        DEAD_LETTERED.labels(self.service, self.topic_name)
        types = ", ".join(sorted(t.value for t in self.handlers))
        options: dict[str, Any] = {
            "group_id": self.group_id,
            "ack_policy": AckPolicy.MANUAL,
            "auto_offset_reset": "earliest",
            "title": f"{self.service}:{self.topic_name}",
            "description": f"{self.topic.description}. Handles: {types}. Key: {self.topic.key}.",
        }
        if self.fetch_wait_ms > 0:
            # The broker answers a fetch once this much has gathered or the wait is over: a
            # consumer off the order's critical path (documents, billing) takes an event a
            # moment later, in a larger batch, instead of taking cores from the services on it.
            options["fetch_max_wait_ms"] = self.fetch_wait_ms
            options["fetch_min_bytes"] = FETCH_GATHER_BYTES
        # One record at a time from FastStream, which waits for it without polling; a batch
        # is that record and the ones already fetched behind it (`on_batch`). FastStream's own
        # batch reads poll: an empty read sleeps before the next, at idle and between bursts.
        subscriber = broker.subscriber(self.topic_name, **options)
        subscriber(self.on_batch if self.batch_size > 1 else self.on_message)

    async def on_message(self, msg: DeliveredMessage) -> None:
        record: Record = msg.raw_message
        await self._settle(msg, self.process(record), _where(record))

    async def on_batch(self, msg: DeliveredMessage) -> None:
        first: Record = msg.raw_message
        records = (first, *await self._fetched_behind(msg))
        last = records[-1]
        where = f"{len(records)} records of {first.topic} ({first.offset}..{last.offset})"
        await self._settle(msg, self.process_batch(records), where, records)

    async def _fetched_behind(self, msg: KafkaMessage) -> list[Record]:
        """The records the consumer of `msg` has already fetched, up to a batch: taken without
        waiting, so a lone record is handled at once and a burst in batches."""
        consumer = msg.consumer
        if not isinstance(consumer, AIOKafkaConsumer):
            return []  # FastStream's test broker: batches of one
        try:
            fetched = await consumer.getmany(timeout_ms=0, max_records=self.batch_size - 1)
        except KafkaError as exc:
            # aiokafka raises a partition's fetch error only from a read that hands out no
            # record, so nothing is lost: the record in hand is handled alone. Raised from
            # here, it would be left neither handled nor sought back to.
            log.warning("reading the records behind %s failed: %r", _where(msg.raw_message), exc)
            return []
        return [record for partition in fetched.values() for record in partition]

    async def _settle(
        self,
        msg: KafkaMessage,
        work: Awaitable[None],
        where: str,
        records: Sequence[Record] = (),
    ) -> None:
        """Commit the offsets of `msg` (and of the `records` read with it) once `work` is
        done, or seek back to the first of each partition."""
        try:
            await work
        except HandBack as exc:
            # Read again after one more pause; the poll in between keeps the group membership.
            log.warning("handing %s back: %s", where, exc)
            await asyncio.sleep(self.retry.jittered_delay(self._outage.failures))
            await _read_again(msg, records)
            return
        except Exception:
            # Not even the dead letter could be written: leave the offset uncommitted and seek
            # back, so the message is read again rather than lost.
            log.exception("could not process or dead-letter %s", where)
            await asyncio.sleep(self.retry.delay(self.retry.max_attempts))
            await _read_again(msg, records)
            return
        await self._acknowledge(msg, records or (msg.raw_message,))

    async def _acknowledge(self, msg: KafkaMessage, records: Sequence[Record]) -> None:
        """`records` (every one read with `msg`) took effect: their offsets may be committed."""
        consumer = msg.consumer
        if not isinstance(consumer, AIOKafkaConsumer):
            await msg.ack()  # FastStream's test broker: commits every position read
            return
        # A dead letter is not in the inbox: read again, it would be sent again.
        dead_lettered, self._dead_lettered = self._dead_lettered, False
        await self.offsets.settled(consumer, records, commit_now=dead_lettered)

    async def close(self) -> None:
        """Commit the offsets still pending (at a shutdown, before the consumer stops)."""
        await self.offsets.close()

    async def process_batch(self, records: Sequence[Record]) -> None:
        """Handle a batch in one transaction; if anything in it fails, one record at a time."""
        events: list[tuple[Record, CloudEvent[Any]]] = []
        for record in records:
            try:
                events.append((record, parse_event(record.value)))
            except UnknownEventType as exc:
                if not exc.from_the_suite:
                    break  # `process` dead-letters it, in its place among the others
                self._ignore_newer(record, exc)
            except (ValidationError, ValueError, UnicodeDecodeError):
                break  # `process` dead-letters it, in its place among the others
        else:
            work = [
                (record, event, handler)
                for record, event in events
                if (handler := self.handlers.get(EventType(event.type))) is not None
            ]
            try:
                outcomes = await self._handle_batch_once(work) if work else {}
            except Exception as exc:
                BATCHES_HANDLED_ONE_BY_ONE.labels(self.service, records[0].topic).inc()
                EVENT_RETRIES.labels(self.service, records[0].topic).inc()
                log.warning(
                    "a batch of %d from %s failed (%s: %s); handling it one record at a time",
                    len(records),
                    records[0].topic,
                    type(exc).__name__,
                    exc,
                )
            else:
                self._outage.failures = 0
                for record, event in events:
                    result, seconds = outcomes.get(id(record), ("ignored", 0.0))
                    if result == "processed":
                        HANDLER_SECONDS.labels(self.service, record.topic, event.type).observe(
                            seconds
                        )
                    EVENTS_CONSUMED.labels(self.service, record.topic, event.type, result).inc()
                return
        for record in records:
            await self.process(record)

    async def _handle_batch_once(
        self, work: Sequence[tuple[Record, CloudEvent[Any], Handler]]
    ) -> dict[int, tuple[str, float]]:
        """One transaction: the batch's inbox rows, then each new event's handler in order.

        Returns, by `id(record)`, `processed` or `duplicate` and the seconds its handler took.
        """
        # The first copy of each event, in the batch's order: the preparation starts its work
        # (documents' renders) in the order the handlers then ask for it.
        first_copies: dict[str, tuple[Record, CloudEvent[Any]]] = {}
        for record, event, _ in work:
            first_copies.setdefault(event.id, (record, event))
        outcomes: dict[int, tuple[str, float]] = {}
        async with self.sessionmaker() as session, session.begin():
            # The handlers' statements that only return a row (orders' bookings) may go to the
            # server together: sent before anything else runs, at the latest before the commit.
            pipeline(session)
            claimed = set(
                (
                    await session.execute(
                        _CLAIM_BATCH,
                        {
                            "consumer": self.group_id,
                            "event_ids": list(first_copies),
                            "event_types": [e.type for _, e in first_copies.values()],
                            "topics": [r.topic for r, _ in first_copies.values()],
                            "partitions": [r.partition for r, _ in first_copies.values()],
                            "offsets": [r.offset for r, _ in first_copies.values()],
                        },
                    )
                ).scalars()
            )
            if self.prepare_batch is not None and claimed:
                await self.prepare_batch(
                    session, [e for _, e in first_copies.values() if e.id in claimed]
                )
            for record, event, handler in work:
                if event.id not in claimed:  # in the inbox already, or an earlier copy here
                    log.info("duplicate %s %s ignored", event.type, event.id)
                    outcomes[id(record)] = ("duplicate", 0.0)
                    continue
                claimed.discard(event.id)
                with (
                    consuming(record.topic, event, record.headers, self.group_id),
                    log_context(
                        order_id=event.subject,
                        correlation_id=event.correlationid,
                        event_id=event.id,
                    ),
                ):
                    started = time.perf_counter()
                    await handler(event, session)
                outcomes[id(record)] = ("processed", time.perf_counter() - started)
            await run_at_commit(session)  # once for the whole batch
        return outcomes

    def _ignore_newer(self, record: Record, exc: UnknownEventType) -> None:
        """A type a newer version of a suite service publishes (contracts only grow): not one
        this consumer handles, so skipped like any unhandled type, not dead-lettered, while
        the services are upgraded one by one."""
        event_type = exc.event_type or "unknown"
        EVENTS_CONSUMED.labels(self.service, record.topic, event_type, "ignored").inc()
        log.info("%s from %s: a type this version does not know, ignored", event_type, exc.source)

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record to completion: processed, skipped or dead-lettered."""
        try:
            event = parse_event(record.value)
        except UnknownEventType as exc:
            if exc.from_the_suite:
                self._ignore_newer(record, exc)
            else:
                await self.dead_letter(record, exc, attempts=1, event_type="invalid")
            return
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            await self.dead_letter(record, exc, attempts=1, event_type="invalid")
            return
        handler = self.handlers.get(EventType(event.type))
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, record.topic, event.type, "ignored").inc()
            return
        with (
            consuming(record.topic, event, record.headers, self.group_id),
            log_context(
                order_id=event.subject, correlation_id=event.correlationid, event_id=event.id
            ),
        ):
            await self._handle_with_retries(record, event, handler)

    async def _handle_with_retries(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent[Any], handler: Handler
    ) -> None:
        attempts = _Attempts(self.retry, self._outage)

        def before_sleep(state: RetryCallState) -> None:
            EVENT_RETRIES.labels(self.service, record.topic).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "attempt %d of %s failed (%s), retrying in %.2fs: %s",
                attempts.total,
                event.type,
                attempts.last_kind.value,
                state.upcoming_sleep,
                error,
            )

        retrying = AsyncRetrying(
            retry=attempts.should_retry,
            wait=attempts.wait,
            stop=attempts.should_stop,
            before_sleep=before_sleep,
            reraise=True,
        )
        started = time.perf_counter()
        try:
            async for attempt in retrying:
                with attempt:
                    started = time.perf_counter()
                    outcome = await self._handle_once(record, event, handler)
        except Exception as exc:
            if attempts.last_kind in (FailureKind.UNAVAILABLE, FailureKind.CONFLICT):
                raise HandBack(f"{event.type} {event.id}: {exc}") from exc
            if attempts.last_kind is FailureKind.UNKNOWN:
                log.exception("giving up on %s after %d attempts", event.type, attempts.total)
            await self.dead_letter(record, exc, attempts=attempts.total, event_type=event.type)
            return
        self._outage.failures = 0
        HANDLER_SECONDS.labels(self.service, record.topic, event.type).observe(
            time.perf_counter() - started
        )
        EVENTS_CONSUMED.labels(self.service, record.topic, event.type, outcome).inc()

    async def _handle_once(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent[Any], handler: Handler
    ) -> str:
        async with self.sessionmaker() as session, session.begin():
            claimed = await session.execute(
                insert(self.inbox)
                .values(
                    consumer=self.group_id,
                    event_id=event.id,
                    event_type=event.type,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if claimed.first() is None:
                log.info("duplicate %s %s ignored", event.type, event.id)
                return "duplicate"
            await handler(event, session)
            await run_at_commit(session)
        return "processed"

    async def dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        error: BaseException,
        *,
        attempts: int,
        event_type: str,
    ) -> None:
        assert self._broker is not None, "register() the consumer first"
        log.error(
            "dead-lettering %s/%s@%s: %s",
            record.topic,
            record.partition,
            record.offset,
            error,
            extra={"error": json.dumps(str(error))[:500]},
        )
        # Waits for the acknowledgement: only then may the caller commit the offset.
        await self._broker.publish(
            record.value,
            self.dlq_name,
            key=record.key,
            headers=dead_letter_headers(
                record, consumer=self.group_id, error=error, attempts=attempts
            ),
        )
        self._dead_lettered = True
        DEAD_LETTERED.labels(self.service, record.topic).inc()
        EVENTS_CONSUMED.labels(self.service, record.topic, event_type, "dead_lettered").inc()


async def _read_again(msg: KafkaMessage, records: Sequence[Record]) -> None:
    """Seek back to `msg` and to the first of `records` in each partition, so nothing read with
    it is committed past or skipped."""
    earliest: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        earliest[partition] = min(record.offset, earliest.get(partition, record.offset))
    for partition, offset in earliest.items():
        msg.consumer.seek(partition, offset)
    await msg.nack()


def _where(record: Record) -> str:
    return f"{record.topic}/{record.partition}@{record.offset}"
