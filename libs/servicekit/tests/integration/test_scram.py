"""The services' Kafka clients with SCRAM credentials, against a listener that requires them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from contracts.topics import ORDERS_EVENTS
from servicekit.db import new_metadata
from servicekit.outbox import add_to_outbox
from servicekit.runtime import Runtime, ServiceSpec, Subscription
from servicekit.settings import KafkaSettings, ServiceSettings
from servicekit.testing import Infrastructure, TemporaryDatabases, eventually
from servicekit.topics import delete_topics, ensure_topics


@pytest.fixture
async def scram(infrastructure: Infrastructure) -> AsyncIterator[KafkaSettings]:
    if infrastructure.kafka_scram is None:
        pytest.skip(
            "no SCRAM listener: the local stack has one, or set "
            "TEST_KAFKA_SCRAM_BOOTSTRAP_SERVERS/_USERNAME/_PASSWORD"
        )
    settings = infrastructure.kafka_scram.model_copy(
        update={"topic_prefix": f"scram{uuid.uuid4().hex[:8]}."}
    )
    await ensure_topics(settings)
    yield settings
    await delete_topics(settings)


async def test_a_service_runs_with_scram_credentials(
    scram: KafkaSettings, databases: TemporaryDatabases
) -> None:
    received: list[str] = []

    async def handle(event: CloudEvent[Any], session: AsyncSession) -> None:
        received.append(event.id)

    metadata = new_metadata()
    spec = ServiceSpec(
        name="scram-check",
        title="SCRAM check",
        description="d",
        version="1",
        metadata=metadata,
        settings=ServiceSettings(database_url=await databases.create("scram"), kafka=scram),
        subscriptions=lambda _: [Subscription(ORDERS_EVENTS, {EventType.ORDER_CANCELLED: handle})],
    )
    runtime = Runtime(spec)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    await runtime.start()
    try:
        assert await runtime.readiness() == {"database": "ok", "kafka": "ok"}
        order_id = str(uuid.uuid4())
        event = new_event(
            EventType.ORDER_CANCELLED,
            OrderCancelled(order_id=order_id, number="SO-1", previous_status="open"),
            source="/tests",
            subject=order_id,
        )
        async with runtime.sessionmaker() as session, session.begin():
            await add_to_outbox(session, metadata.tables["outbox"], event)
        # published by the relay and consumed by the subscriber, both over SASL/SCRAM
        await eventually(lambda: _received(received, event.id), within=30)
    finally:
        await runtime.stop()


async def _received(received: list[str], event_id: str) -> bool:
    return event_id in received


async def test_clients_without_valid_credentials_are_refused(scram: KafkaSettings) -> None:
    anonymous = scram.model_copy(update={"security_protocol": "PLAINTEXT", "sasl_mechanism": None})
    wrong = scram.model_copy(update={"sasl_password": SecretStr("not-the-password")})
    for settings in (anonymous, wrong):
        with pytest.raises((KafkaConnectionError, KafkaError, OSError)):
            await _produce_one(settings)


async def _produce_one(settings: KafkaSettings) -> None:
    producer = AIOKafkaProducer(**settings.client_options(), request_timeout_ms=3000)
    try:
        await producer.start()
        await producer.send_and_wait(settings.topic("orders.events"), b"x", key=b"k")
    finally:
        await producer.stop()
