"""Idempotent consumers: inbox in the effect's transaction, retries, dead letters, late commits."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import contracts
from contracts import PAYLOADS, CloudEvent, EventType, Topic
from servicekit.dlq import dead_letter_headers
from servicekit.observability import (
    DEAD_LETTERED,
    EVENT_RETRIES,
    EVENTS_CONSUMED,
    HANDLER_SECONDS,
    log_context,
)

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent[Any], AsyncSession], Awaitable[None]]
"""Runs in the transaction that records the event in the inbox. The event it receives is the
typed model of the type it is registered for, so it may be annotated with its payload:
`async def handle(event: CloudEvent[OrderCompleted], session: AsyncSession) -> None`."""


class PermanentError(Exception):
    """The event can never be processed as it is: dead-letter it at once, without retries."""


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


def _is_infrastructure_error(exc: BaseException) -> bool:
    """Database unreachable: wait for it rather than dead-letter every message meanwhile."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError))


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))


class EventConsumer:
    """Consumes one topic for one consumer group and dispatches events by type.

    For each message: parse it (invalid → dead letter), skip it if its id is already in the
    inbox, else run the handler and record the id in the same transaction. Offsets are committed
    only after that commit (or after the dead letter is acknowledged by Kafka), so a crash
    redelivers, and the inbox makes the redelivery a no-op.
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
    ) -> None:
        unknown = set(handlers) - set(topic.event_types)
        if unknown:
            raise ValueError(f"{topic.name} carries no {sorted(unknown)}")
        for event_type, handler in handlers.items():
            check_handler_payload(event_type, handler)
        self.service = service
        self.group_id = group_id
        self.topic = topic
        self.topic_name = topic_prefix + topic.name
        self.dlq_name = topic_prefix + topic.dlq
        self.handlers = dict(handlers)
        self.inbox = metadata.tables["inbox"]
        self.sessionmaker = sessionmaker
        self.retry = retry or RetryPolicy()
        self._broker: KafkaBroker | None = None

    def register(self, broker: KafkaBroker) -> None:
        """Subscribe on `broker`; dead letters are published through it too."""
        self._broker = broker
        # A series that exists at 0 lets `rate()`-based alerts see the very first dead letter.
        DEAD_LETTERED.labels(self.service, self.topic_name)
        types = ", ".join(sorted(t.value for t in self.handlers))
        subscriber = broker.subscriber(
            self.topic_name,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            title=f"{self.service}:{self.topic_name}",
            description=f"{self.topic.description}. Handles: {types}. Key: {self.topic.key}.",
        )
        subscriber(self.on_message)

    async def on_message(self, msg: KafkaMessage) -> None:
        record: ConsumerRecord[bytes, bytes] = msg.raw_message
        try:
            await self.process(record)
        except Exception:
            # Not even the dead letter could be written: leave the offset uncommitted and seek
            # back, so the message is read again rather than lost.
            log.exception(
                "could not process or dead-letter %s/%s@%s",
                record.topic,
                record.partition,
                record.offset,
            )
            await asyncio.sleep(self.retry.delay(self.retry.max_attempts))
            await msg.nack()
            return
        await msg.ack()

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record to completion: processed, skipped or dead-lettered."""
        try:
            event = parse_event(record.value)
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            await self.dead_letter(record, exc, attempts=1, event_type="invalid")
            return
        handler = self.handlers.get(EventType(event.type))
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, record.topic, event.type, "ignored").inc()
            return
        with log_context(
            order_id=event.subject, correlation_id=event.correlationid, event_id=event.id
        ):
            await self._handle_with_retries(record, event, handler)

    async def _handle_with_retries(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent[Any], handler: Handler
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                outcome = await self._handle_once(record, event, handler)
            except PermanentError as exc:
                await self.dead_letter(record, exc, attempts=attempt, event_type=event.type)
                return
            except Exception as exc:
                if _is_infrastructure_error(exc):
                    delay = self.retry.delay(attempt)
                    log.warning("infrastructure error, retrying in %.1fs: %s", delay, exc)
                    await asyncio.sleep(delay)
                    attempt = min(attempt, self.retry.max_attempts - 1)  # never dead-letter for it
                    continue
                if attempt >= self.retry.max_attempts:
                    log.exception("giving up on %s after %d attempts", event.type, attempt)
                    await self.dead_letter(record, exc, attempts=attempt, event_type=event.type)
                    return
                EVENT_RETRIES.labels(self.service, record.topic).inc()
                log.warning("attempt %d of %s failed: %s", attempt, event.type, exc)
                await asyncio.sleep(self.retry.delay(attempt))
                continue
            HANDLER_SECONDS.labels(self.service, record.topic, event.type).observe(
                time.perf_counter() - started
            )
            EVENTS_CONSUMED.labels(self.service, record.topic, event.type, outcome).inc()
            return

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
        DEAD_LETTERED.labels(self.service, record.topic).inc()
        EVENTS_CONSUMED.labels(self.service, record.topic, event_type, "dead_lettered").inc()
