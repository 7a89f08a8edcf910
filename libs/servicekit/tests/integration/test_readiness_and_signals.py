"""Readiness by role (an API needs its database, a worker also Kafka) and every 500 counted."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter
from prometheus_client import REGISTRY

from contracts import CloudEvent, EventType
from contracts.topics import ORDERS_EVENTS
from servicekit.db import new_metadata
from servicekit.runtime import Runtime, ServiceSpec, Subscription
from servicekit.settings import KafkaSettings, ServiceSettings
from servicekit.testing import TemporaryDatabases, bearer

# Nothing listens there: a broker that is down.
UNREACHABLE_KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix="nowhere.")


def spec_for(name: str, database_url: str, kafka: KafkaSettings) -> ServiceSpec:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug nobody handled")

    async def ignore(event: CloudEvent[Any], session: Any) -> None:
        return None

    return ServiceSpec(
        name=name,
        title=name,
        description="readiness and signals",
        version="1",
        metadata=new_metadata(),
        settings=ServiceSettings(
            database_url=database_url, kafka=kafka, readiness_timeout_seconds=1.0
        ),
        routers=[router],
        subscriptions=lambda _: [Subscription(ORDERS_EVENTS, {EventType.ORDER_CONFIRMED: ignore})],
    )


async def ready_answer(app: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        return await client.get("/health/ready")


async def test_an_api_with_its_broker_down_starts_and_is_ready(
    databases: TemporaryDatabases,
) -> None:
    runtime = Runtime(
        spec_for("ready-api", await databases.create("ready_api"), UNREACHABLE_KAFKA),
        api=True,
        worker=False,
    )
    app = runtime.create_app()
    await runtime.start()  # connects to nothing but the database
    try:
        ready = await ready_answer(app)
    finally:
        await runtime.stop()
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_a_worker_with_its_broker_down_is_not_ready(databases: TemporaryDatabases) -> None:
    url = await databases.create("ready_worker")
    for api in (False, True):  # `worker` alone and `serve` (both) need Kafka
        runtime = Runtime(spec_for("ready-worker", url, UNREACHABLE_KAFKA), api=api, worker=True)
        app = runtime.create_app()  # not started: its broker could not connect
        try:
            ready = await ready_answer(app)
        finally:
            await runtime.engine.dispose()
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["kafka"].startswith("unreachable")


async def test_an_api_whose_database_is_down_is_not_ready() -> None:
    runtime = Runtime(
        spec_for("ready-nodb", "postgresql+asyncpg://nobody:x@127.0.0.1:1/none", UNREACHABLE_KAFKA),
        api=True,
        worker=False,
    )
    app = runtime.create_app()
    try:
        ready = await ready_answer(app)
    finally:
        await runtime.engine.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unreachable")


def requests_counted(service: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "suite_http_request_duration_seconds_count",
        {"service": service, "method": "GET", "route": "/boom", "status": status},
    )
    return value or 0.0


async def test_an_unexpected_500_is_counted(databases: TemporaryDatabases) -> None:
    runtime = Runtime(
        spec_for("counts-500", await databases.create("counts"), UNREACHABLE_KAFKA),
        api=True,
        worker=False,
    )
    app = runtime.create_app()
    before = requests_counted("counts-500", "500")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://t",
            headers=bearer("viewer"),
        ) as client:
            answers = [await client.get("/boom") for _ in range(2)]
    finally:
        await runtime.engine.dispose()
    assert [answer.status_code for answer in answers] == [500, 500]
    assert answers[0].headers["content-type"] == "application/problem+json"
    assert requests_counted("counts-500", "500") == before + 2
