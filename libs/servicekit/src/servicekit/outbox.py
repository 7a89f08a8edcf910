"""Transactional outbox: events join the caller's transaction; a relay publishes after commit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, Table, func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CONTENT_TYPE, CloudEvent, EventType, topic_of
from servicekit.auth import current_actor
from servicekit.background import BackgroundLoop
from servicekit.db import asyncpg_dsn
from servicekit.observability import (
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    count_business_event,
)

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "outbox"

# What the relay's guarantees need from the process's one Kafka producer (the broker's): the
# broker retries without duplicating or reordering, and acknowledges once every in-sync replica
# has the record. Pass these to `KafkaBroker(...)`.
RELIABLE_PRODUCER_OPTIONS: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


async def add_to_outbox(
    session: AsyncSession,
    outbox: Table,
    event: CloudEvent[Any],
    *,
    key: str | None = None,
    topic: str | None = None,
) -> None:
    """Record `event` for publication; it is published only if the caller's transaction commits.

    The topic comes from the catalogue unless given; the key defaults to the event's subject
    (the order id for anything about an order): one order's events stay in one partition, in
    order.
    """
    if event.actor is None and (actor := current_actor()) is not None:
        event = event.model_copy(update={"actor": actor})  # who made the change, from the token
    topic_name = topic or topic_of(EventType(event.type)).name
    message_key = key or event.subject
    if not message_key:
        raise ValueError(f"event {event.type} has no subject and no key was given")
    await session.execute(
        outbox.insert().values(
            event_id=event.id,
            event_type=event.type,
            topic=topic_name,  # the logical name; the relay adds the deployment's prefix
            key=message_key,
            payload=event.model_dump_json(),
            headers={"content-type": CONTENT_TYPE, "ce_type": event.type, "ce_id": event.id},
        )
    )
    # NOTIFY is transactional: the relay is woken only once this transaction commits.
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


class OutboxRelay:
    """Publishes committed outbox rows to Kafka in id order and marks them after the broker acks.

    It publishes through the process's FastStream broker (started by its owner, built with
    `RELIABLE_PRODUCER_OPTIONS`), so a service runs one Kafka producer.

    Woken by LISTEN/NOTIFY, with polling as a fallback. Rows are claimed with
    `FOR UPDATE SKIP LOCKED`, so several replicas share the work without publishing a row twice
    concurrently. A crash between the broker's ack and the mark republishes the batch: delivery
    is at-least-once, and consumers' inboxes make the effect exactly-once.
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
    ) -> None:
        self.service = service
        self.outbox = metadata.tables["outbox"]
        self.sessionmaker = sessionmaker
        self.database_url = database_url
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._broker = broker  # started and stopped by its owner
        self.topic_prefix = topic_prefix
        self._listener: asyncpg.Connection | None = None
        self._last_gauges = 0.0
        self._loop = BackgroundLoop(
            f"{service}-outbox-relay",
            self._round,
            interval=poll_interval,
            on_error=self._close_listener,  # the next round listens on a fresh connection
            logger=log,
        )

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        await self._close_listener()

    async def _round(self) -> float | None:
        await self._ensure_listener()
        published = await self.publish_pending()
        await self._update_gauges()
        return 0 if published >= self.batch_size else None  # a full batch: likely more waiting

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published."""
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(self.outbox)
                    .where(self.outbox.c.published_at.is_(None))
                    .order_by(self.outbox.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self._publish(rows)
            await self._mark_published(session, [row.id for row in rows])
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()
            count_business_event(self.service, row.event_type, row.payload)
        return len(rows)

    async def _publish(self, rows: Sequence[Row[Any]]) -> None:
        # With no_confirm, publish() only enqueues, in call order: rows of one key keep their
        # order in the partition, and the batch travels together. Waiting for every confirmation
        # means each row was acknowledged (acks=all) before the caller marks them.
        confirmations = [
            await self._broker.publish(
                row.payload.encode(),
                self.topic_prefix + row.topic,
                key=row.key.encode(),
                headers=row.headers,
                correlation_id=_correlation_id(row),
                no_confirm=True,
            )
            for row in rows
        ]
        await asyncio.gather(*confirmations)

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        await session.execute(
            update(self.outbox).where(self.outbox.c.id.in_(ids)).values(published_at=func.now())
        )

    async def _update_gauges(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._last_gauges < 5:
            return
        self._last_gauges = loop_time
        async with self.sessionmaker() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(self.outbox.c.created_at)).where(
                        self.outbox.c.published_at.is_(None)
                    )
                )
            ).one()
        OUTBOX_BACKLOG.labels(self.service).set(count)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(asyncpg_dsn(self.database_url))
        await self._listener.add_listener(NOTIFY_CHANNEL, lambda *_: self._loop.wake())

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


def _correlation_id(row: Row[Any]) -> str | None:
    """The event's CloudEvents correlation id, for FastStream's `correlation_id` header."""
    try:
        correlation_id = json.loads(row.payload).get("correlationid")
    except (ValueError, AttributeError):
        return None  # only a header is lost: the row is still published as it is
    return str(correlation_id) if correlation_id else None
