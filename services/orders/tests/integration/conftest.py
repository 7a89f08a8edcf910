"""One running orders service (API + consumers + relay) per module, on real Kafka and PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import CloudEvent
from orders.bootstrap import build_spec
from orders.config import OrdersSettings
from orders.entrypoints.cli import MIGRATIONS_DIR
from servicekit.runtime import Runtime
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, service_with_input, settings_for_test
from servicekit.topics import delete_topics, ensure_topics


@dataclass
class OrdersUnderTest:
    runtime: Runtime
    client: httpx.AsyncClient
    kafka: KafkaSettings
    producer: AIOKafkaProducer

    async def send(self, topic: str, event: CloudEvent[Any] | bytes, key: str) -> None:
        value = event if isinstance(event, bytes) else event.model_dump_json().encode()
        await self.producer.send_and_wait(self.kafka.topic(topic), value=value, key=key.encode())

    async def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to `path`, which must answer 201 Created; the created resource."""
        response = await self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        resource: dict[str, Any] = response.json()
        return resource

    async def new_customer(self, name: str, **fields: Any) -> dict[str, Any]:
        """A new customer called `name`, with an e-mail address no other test uses."""
        email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
        return await self.created("/customers", {"name": name, "email": email, **fields})


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    """Settings of the service under test beyond the test defaults (a module may override)."""
    return {}


@contextlib.asynccontextmanager
async def orders_running(
    kafka_bootstrap: str, databases: TemporaryDatabases, **overrides: Any
) -> AsyncIterator[OrdersUnderTest]:
    """The orders service on its own database and topic prefix, with `overrides` set."""
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    await ensure_topics(kafka)
    settings = await settings_for_test(
        OrdersSettings, databases, kafka, "orders", consumer_max_attempts=2, **overrides
    )
    spec = build_spec(settings)
    try:
        async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
            yield OrdersUnderTest(runtime, client, kafka, producer)
    finally:
        await delete_topics(kafka)


@pytest.fixture(scope="module")
async def orders_service(
    kafka_bootstrap: str, databases: TemporaryDatabases, orders_settings: dict[str, Any]
) -> AsyncIterator[OrdersUnderTest]:
    """Orders alone: its lines may name SKUs no catalogue event announced (nothing feeds the
    catalogue view here unless a test publishes product events)."""
    settings = {"catalogue_required": False, **orders_settings}
    async with orders_running(kafka_bootstrap, databases, **settings) as running:
        yield running


@pytest.fixture(scope="module")
async def strict_orders_service(
    kafka_bootstrap: str, databases: TemporaryDatabases
) -> AsyncIterator[OrdersUnderTest]:
    """Orders as deployed: order lines must name items of the catalogue view."""
    async with orders_running(kafka_bootstrap, databases) as running:
        yield running
