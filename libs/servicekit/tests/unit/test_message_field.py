"""The message a consumer is handed is looked up on the event loop, not in a worker thread."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from servicekit.consumer import DeliveredMessage


def subscribe(broker: KafkaBroker, seen: list[bytes], field: str) -> None:
    """A subscriber taking the message through the suite's field or FastStream's own."""
    if field == "suite":

        @broker.subscriber("events")
        async def with_the_suites_field(msg: DeliveredMessage) -> None:
            seen.append(msg.body)

    else:

        @broker.subscriber("events")
        async def with_faststreams_field(msg: KafkaMessage) -> None:
            seen.append(msg.body)


async def deliver_one(field: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[bytes]]:
    """Publish one message on FastStream's in-memory broker; how many calls went to a worker
    thread while it was delivered, and the bodies the subscriber saw."""
    hops = 0
    run_sync = anyio.to_thread.run_sync

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal hops
        hops += 1
        return await run_sync(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    seen: list[bytes] = []
    broker = KafkaBroker()
    subscribe(broker, seen, field)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"one", "events")
    return hops, seen


def test_the_delivered_message_takes_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    assert asyncio.run(deliver_one("suite", monkeypatch)) == (0, [b"one"])


def test_faststreams_own_message_field_takes_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: why the suite has a field of its own (fails once FastStream stops it)."""
    hops, seen = asyncio.run(deliver_one("faststream", monkeypatch))
    assert (hops >= 1, seen) == (True, [b"one"])
