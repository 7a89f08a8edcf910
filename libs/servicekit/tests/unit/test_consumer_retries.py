"""The consumer's retry sequence per failure kind, without servers: attempts are scripted."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from contracts.topics import ORDERS_EVENTS
from servicekit.consumer import EventConsumer, HandBack, PermanentError, RetryPolicy
from servicekit.db import new_metadata


class Scripted(EventConsumer):
    """Each attempt raises the next scripted error; past the script, the attempt succeeds."""

    def __init__(self, script: Sequence[BaseException], **policy: Any) -> None:
        async def handle(event: CloudEvent[Any], session: Any) -> None:
            return None

        super().__init__(
            service="scripted",
            group_id="scripted",
            topic=ORDERS_EVENTS,
            handlers={EventType.ORDER_CANCELLED: handle},
            metadata=new_metadata(),
            sessionmaker=None,  # type: ignore[arg-type]  # _handle_once never opens a session
            retry=RetryPolicy(backoff_seconds=0.001, **policy),
        )
        self.script = list(script)
        self.attempts = 0
        self.letters: list[tuple[str, int]] = []

    async def _handle_once(self, record: Any, event: Any, handler: Any) -> str:
        self.attempts += 1
        if self.script:
            raise self.script.pop(0)
        return "processed"

    async def dead_letter(
        self, record: Any, error: BaseException, *, attempts: int, event_type: str
    ) -> None:
        self.letters.append((type(error).__name__, attempts))

    async def run(self) -> None:
        event = new_event(
            EventType.ORDER_CANCELLED,
            OrderCancelled(order_id="o-1", number="SO-1", previous_status="open"),
            source="/tests",
            subject="o-1",
        )
        record: Any = SimpleNamespace(topic="orders.events", partition=0, offset=7)
        await self._handle_with_retries(record, event, self.handlers[EventType.ORDER_CANCELLED])


def serialization_failure() -> Exception:
    error: Exception = asyncpg.exceptions.SerializationError("could not serialize access")
    return error


async def test_conflicts_are_rerun_beyond_max_attempts_and_never_dead_lettered() -> None:
    consumer = Scripted([serialization_failure() for _ in range(8)], max_attempts=2)
    await consumer.run()
    assert (consumer.attempts, consumer.letters) == (9, [])


async def test_permanent_failures_are_dead_lettered_after_one_attempt() -> None:
    for error in (
        PermanentError("no such product"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.InvalidTextRepresentationError("invalid input syntax"),
    ):
        consumer = Scripted([error], max_attempts=5)
        await consumer.run()
        assert (consumer.attempts, consumer.letters) == (1, [(type(error).__name__, 1)])


async def test_unknown_failures_are_dead_lettered_after_max_attempts() -> None:
    consumer = Scripted([RuntimeError("bug") for _ in range(10)], max_attempts=3)
    await consumer.run()
    assert (consumer.attempts, consumer.letters) == (3, [("RuntimeError", 3)])


async def test_an_outage_is_waited_out_then_handed_back_never_dead_lettered() -> None:
    starting_up = [asyncpg.exceptions.CannotConnectNowError("starting up") for _ in range(4)]
    consumer = Scripted(starting_up, max_attempts=1)
    await consumer.run()  # within one hold
    assert (consumer.attempts, consumer.letters) == (5, [])

    away = [ConnectionRefusedError(111, "refused") for _ in range(1000)]
    consumer = Scripted(away, max_attempts=1, max_backoff_seconds=0.01, hold_seconds=0.1)
    with pytest.raises(HandBack):
        await consumer.run()
    assert consumer.letters == []
    assert 1 < consumer.attempts < 100  # paused between attempts, not spinning


async def test_cancellation_is_never_retried() -> None:
    consumer = Scripted([asyncio.CancelledError()])
    with pytest.raises(asyncio.CancelledError):
        await consumer.run()
    assert (consumer.attempts, consumer.letters) == (1, [])
