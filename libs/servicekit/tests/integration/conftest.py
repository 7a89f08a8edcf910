"""Fixtures the kit's integration tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from faststream.kafka import KafkaBroker

from servicekit.consumer import EventConsumer
from servicekit.outbox import RELIABLE_PRODUCER_OPTIONS
from servicekit.settings import KafkaSettings

StartConsumer = Callable[[EventConsumer], Awaitable[EventConsumer]]


@pytest.fixture
async def start_consumer(kafka: KafkaSettings) -> AsyncIterator[StartConsumer]:
    """Start a consumer on a broker of its own (as a service's worker does); stop them all at
    the end of the test, each consumer closed before its broker, as a runtime stops them: its
    pending offsets committed, nothing left to commit once the test's topics are gone."""
    started: list[tuple[EventConsumer, KafkaBroker]] = []

    async def start(consumer: EventConsumer) -> EventConsumer:
        broker = KafkaBroker(**kafka.broker_options(), **RELIABLE_PRODUCER_OPTIONS)
        consumer.register(broker)
        await broker.start()
        started.append((consumer, broker))
        return consumer

    yield start
    for consumer, broker in started:
        await consumer.close()
        await broker.stop()
