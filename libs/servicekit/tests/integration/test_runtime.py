"""A runtime assembled from a ServiceSpec, against the real servers: health, specs, idempotency."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType
from contracts.topics import INVENTORY_EVENTS, ORDERS_EVENTS
from servicekit.auth import Role, require_for_changes
from servicekit.db import new_metadata
from servicekit.http import idempotent
from servicekit.observability import JsonLineFormatter
from servicekit.runtime import Runtime, ServiceSpec, Subscription, runtime_of
from servicekit.settings import KafkaSettings, ServiceSettings
from servicekit.testing import TemporaryDatabases, bearer, token


class NoteCreate(BaseModel):
    text: str


def build_spec(database_url: str, kafka: KafkaSettings) -> tuple[ServiceSpec, Table]:
    metadata: MetaData = new_metadata()
    notes = Table(
        "notes", metadata, Column("id", String(36), primary_key=True), Column("text", String(200))
    )
    router = APIRouter()

    @router.get("/notes")
    async def list_notes() -> list[str]:
        return []

    @router.post("/notes", status_code=201, dependencies=[Depends(require_for_changes(Role.SALES))])
    async def create_note(
        body: NoteCreate,
        request: Request,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        runtime = runtime_of(request)

        async def create() -> tuple[int, Any]:
            note_id = str(uuid.uuid4())
            await session.execute(notes.insert().values(id=note_id, text=body.text))
            return 201, {"id": note_id, "text": body.text}

        async with runtime.sessionmaker() as session, session.begin():
            status, response = await idempotent(
                session,
                runtime.metadata,
                scope="notes",
                key=idempotency_key,
                body=body.model_dump(),
                create=create,
            )
        return JSONResponse(response, status_code=status)

    async def ignore(event: CloudEvent[Any], session: AsyncSession) -> None:
        return None

    spec = ServiceSpec(
        name="demo",
        title="Demo service",
        description="A service used to test the runtime",
        version="1.0.0",
        metadata=metadata,
        settings=ServiceSettings(database_url=database_url, kafka=kafka),
        routers=[router],
        subscriptions=lambda _: [Subscription(ORDERS_EVENTS, {EventType.ORDER_CONFIRMED: ignore})],
        publishes=[INVENTORY_EVENTS],
    )
    return spec, notes


class AccessLines(logging.Handler):
    """The access log's records as the JSON lines the services write, formatted as they come."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLineFormatter("kit"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_runtime_health_metrics_specs_and_idempotency(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> None:
    import httpx

    spec, notes = build_spec(await databases.create("runtime"), kafka)
    runtime = Runtime(spec)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(spec.metadata.create_all)
    app = runtime.create_app()
    access = AccessLines()
    logging.getLogger("servicekit.access").addHandler(access)
    logging.getLogger("servicekit.access").setLevel(logging.INFO)  # as configure_logging sets
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=bearer("sales")
        ) as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
            assert (await client.get("/health/live")).json() == {"status": "ok"}

            racing = await asyncio.gather(
                *(
                    client.post("/notes", json={"text": "hi"}, headers={"Idempotency-Key": "k1"})
                    for _ in range(3)
                )
            )
            # A racing duplicate either waits and gets the stored answer, or is told to retry.
            assert {r.status_code for r in racing} <= {201, 409}
            created = {r.json()["id"] for r in racing if r.status_code == 201}
            assert len(created) == 1
            retry = await client.post(
                "/notes", json={"text": "hi"}, headers={"Idempotency-Key": "k1"}
            )
            assert retry.status_code == 201
            assert retry.json()["id"] in created
            reused = await client.post(
                "/notes", json={"text": "other"}, headers={"Idempotency-Key": "k1"}
            )
            assert reused.status_code == 422
            assert reused.json()["errors"][0]["field"] == "header.Idempotency-Key"

            metrics = (await client.get("/metrics")).text
            assert "suite_http_request_duration_seconds" in metrics

            # One JSON access line per request, probes and scrapes excepted.
            refused = await client.post(
                "/notes", json={"text": 1}, headers={"X-Correlation-Id": "corr-access"}
            )
            assert refused.status_code == 422
            line = json.loads(access.lines[-1])
            assert line["logger"] == "servicekit.access"
            assert line["message"] == "POST /notes 422"
            assert (line["http_route"], line["http_status"]) == ("/notes", 422)
            assert line["correlation_id"] == "corr-access"
            assert line["duration_ms"] >= 0
            assert "trace_id" in line
            assert not [raw for raw in access.lines if "/health/" in raw or "/metrics" in raw]

            asyncapi = (await client.get("/asyncapi.json")).json()
            assert asyncapi["asyncapi"] == "3.0.0"
            addresses = {c["address"] for c in asyncapi["channels"].values()}
            assert kafka.topic("orders.events") in addresses
            assert kafka.topic("inventory.events") in addresses
    finally:
        logging.getLogger("servicekit.access").removeHandler(access)
        logging.getLogger("servicekit.access").setLevel(logging.NOTSET)
        await runtime.stop()

    async with runtime.sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(notes))).scalar_one()
    await runtime.engine.dispose()
    assert count == 1


async def test_readiness_reports_an_unreachable_database(kafka: KafkaSettings) -> None:
    spec, _ = build_spec("postgresql+asyncpg://nobody:x@127.0.0.1:1/none", kafka)
    runtime = Runtime(spec, api=True, worker=False)
    await runtime.broker.start()
    try:
        checks = await runtime.readiness()
    finally:
        await runtime.broker.stop()
        await runtime.engine.dispose()
    assert checks["kafka"] == "ok"
    assert checks["database"].startswith("unreachable")


async def test_tokens_and_roles(databases: TemporaryDatabases, kafka: KafkaSettings) -> None:
    import httpx

    spec, _ = build_spec(await databases.create("auth"), kafka)
    runtime = Runtime(spec, api=True, worker=False)
    async with runtime.engine.begin() as connection:
        await connection.run_sync(spec.metadata.create_all)
    app = runtime.create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def call(method: str, path: str, auth: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {auth}"} if auth else {}
            return await client.request(
                method, path, headers=headers, json={"text": "x"} if method == "POST" else None
            )

        assert (await call("GET", "/health/live", None)).status_code == 200
        missing = await call("GET", "/notes", None)
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert (await call("GET", "/notes", token("viewer"))).status_code == 200
        refused = await call("POST", "/notes", token("viewer"))
        assert refused.status_code == 403
        assert refused.json()["missing_scopes"] == ["sales"]
        assert (await call("POST", "/notes", token("sales"))).status_code == 201
        assert (await call("POST", "/notes", token("admin"))).status_code == 201
        expired = await call("GET", "/notes", token("sales", ttl_seconds=-120))
        assert (expired.status_code, expired.json()["detail"]) == (
            401,
            "the bearer token has expired",
        )
        elsewhere = await call("GET", "/notes", token("sales", audience="another-app"))
        assert elsewhere.status_code == 401
        assert "audience" in elsewhere.json()["detail"]
        huge = await client.post(
            "/notes",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={
                "Authorization": f"Bearer {token('sales')}",
                "Content-Type": "application/json",
            },
        )
        assert huge.status_code == 413
        assert huge.headers["content-type"] == "application/problem+json"

        async def streamed() -> Any:  # no Content-Length: counted while it arrives
            yield b'{"text": "'
            for _ in range(40):
                yield b"x" * 50_000
            yield b'"}'

        chunked = await client.post(
            "/notes",
            content=streamed(),
            headers={
                "Authorization": f"Bearer {token('sales')}",
                "Content-Type": "application/json",
            },
        )
        assert chunked.status_code == 413
        forged = token("sales")[:-4] + "AAAA"
        assert (await call("GET", "/notes", forged)).status_code == 401
    await runtime.engine.dispose()
