"""The runtime every service is assembled from: database, broker, relay, consumers, HTTP app.

A service's `bootstrap.py` describes itself with a `ServiceSpec`; `Runtime` turns that into a
FastAPI app that serves its API, runs its worker (consumers + outbox relay), or both. No
module-level state: tests build several runtimes in one process.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts import EventType, Topic, event_model
from servicekit.admin_api import admin_router
from servicekit.auth import READ, TokenVerifier, require
from servicekit.consumer import BatchPreparation, EventConsumer, Handler, RetryPolicy
from servicekit.db import (
    make_engine,
    make_numbering_engine,
    make_sessionmaker,
    reads_on_their_own,
)
from servicekit.http import IDEMPOTENCY_TTL_INFO, install_problem_handlers, problem_response
from servicekit.lag import ConsumerLagMonitor
from servicekit.notify import wakes_sent
from servicekit.observability import log_context
from servicekit.outbox import RELIABLE_PRODUCER_OPTIONS, OutboxRelay
from servicekit.retention import RetentionPolicy, RetentionPruner
from servicekit.settings import ServiceSettings
from servicekit.tracing import instrument_app

log = logging.getLogger(__name__)

# One JSON line per request (probes and scrapes excluded), in the trace of the request.
access_log = logging.getLogger("servicekit.access")
_UNLOGGED_ROUTES = ("/health/", "/metrics")

HTTP_SECONDS = Histogram(
    "suite_http_request_duration_seconds",
    "HTTP requests by route and status",
    ["service", "method", "route", "status"],
)

CORRELATION_HEADER = "X-Correlation-Id"


@dataclass(frozen=True)
class Subscription:
    """A topic a service consumes, with a handler per event type it cares about."""

    topic: Topic
    handlers: Mapping[EventType, Handler]
    prepare_batch: BatchPreparation | None = None


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    title: str
    description: str
    version: str
    metadata: MetaData
    settings: ServiceSettings
    routers: Sequence[APIRouter] = ()
    # `Depends(...)` of every route of `routers`, after the token check (e.g. a service's way of
    # seeing rows as the caller). Given here rather than by nesting the routers in one: each
    # level of nesting matches a request's path against every route before it once more.
    route_dependencies: Sequence[Any] = ()
    subscriptions: Callable[[Runtime], Sequence[Subscription]] = lambda _: ()
    publishes: Sequence[Topic] = ()
    # checks run before anything connects (e.g. that the fonts a renderer needs exist)
    on_startup: Sequence[Callable[[Runtime], Awaitable[None]]] = field(default_factory=tuple)
    # run first when the runtime stops (e.g. to stop a service's own background loop)
    on_shutdown: Sequence[Callable[[Runtime], Awaitable[None]]] = field(default_factory=tuple)
    # request body limits of their own, by path prefix (e.g. file uploads), instead of the
    # settings' `max_request_bytes`
    body_limits: Mapping[str, int] = field(default_factory=dict)


class Runtime:
    """One process of one service: owns its engine, broker, relay and consumers.

    The broker is the process's one Kafka client for producing: the outbox relay and the dead
    letters publish through it.
    """

    def __init__(self, spec: ServiceSpec, *, api: bool = True, worker: bool = True) -> None:
        self.spec = spec
        self.name = spec.name
        self.settings = spec.settings
        self.metadata = spec.metadata
        self.api = api
        self.worker = worker
        # Environments sharing a cluster through a topic prefix must not share consumer groups
        # either; without a prefix the group is the service's name, as it always was.
        self.consumer_group = spec.settings.kafka.topic_prefix + spec.name
        # Sized by the settings: kept whole, no overflow by default (ADR 38).
        self.engine: AsyncEngine = make_engine(
            spec.settings.database_url,
            pool_size=spec.settings.database_pool_size,
            max_overflow=spec.settings.database_max_overflow,
            plan_cache_mode=spec.settings.database_plan_cache_mode,
        )
        # Opens no connection until a number is taken at once (orders and quotes).
        self.numbering_engine = make_numbering_engine(spec.settings.database_url)
        # servicekit.http.idempotent() reads the service's key lifetime from its session
        idempotency_ttl = timedelta(hours=spec.settings.idempotency_ttl_hours)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(
            self.engine,
            numbering=self.numbering_engine,
            info={IDEMPOTENCY_TTL_INFO: idempotency_ttl},
        )
        # Sessions for requests that only read: no BEGIN and COMMIT around their statements.
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(
            reads_on_their_own(self.engine)
        )
        self.broker = self._new_broker()
        self.relay: OutboxRelay | None = None
        self.lag_monitor: ConsumerLagMonitor | None = None
        self.pruner: RetentionPruner | None = None
        self.consumers: list[EventConsumer] = []
        if worker:
            self.consumers = self._register_consumers(self.broker)

    # --- composition ------------------------------------------------------------------------

    def _new_broker(self) -> KafkaBroker:
        return KafkaBroker(
            **self.settings.kafka.broker_options(),
            **RELIABLE_PRODUCER_OPTIONS,
            # No linger: a relay round enqueues its whole batch before the producer's sender
            # runs, so the batch still leaves together; lingering 5 ms only delayed every hop.
            linger_ms=0,
            client_id=self.name,
            logger=logging.getLogger(f"{self.name}.broker"),
            # "Received"/"Processed" for every message at debug: at info they were nine lines in
            # ten a service wrote. A handler's failure is still logged as an error.
            log_level=logging.DEBUG,
            description=self.spec.description,
        )

    def _register_consumers(self, broker: KafkaBroker) -> list[EventConsumer]:
        consumers = []
        retry = RetryPolicy(
            max_attempts=self.settings.consumer_max_attempts,
            backoff_seconds=self.settings.consumer_backoff_seconds,
            max_backoff_seconds=self.settings.consumer_max_backoff_seconds,
        )
        for subscription in self.spec.subscriptions(self):
            consumer = EventConsumer(
                service=self.name,
                group_id=self.consumer_group,
                topic=subscription.topic,
                handlers=subscription.handlers,
                metadata=self.metadata,
                sessionmaker=self.sessionmaker,
                retry=retry,
                topic_prefix=self.settings.kafka.topic_prefix,
                batch_size=self.settings.consumer_batch_size,
                prepare_batch=subscription.prepare_batch,
                commit_interval=self.settings.consumer_commit_interval_seconds,
                fetch_wait_ms=self.settings.consumer_fetch_wait_ms,
            )
            consumer.register(broker)
            consumers.append(consumer)
        return consumers

    def asyncapi(self) -> dict[str, Any]:
        """This service's AsyncAPI 3.0 document: what it consumes and what it publishes."""
        broker = self._new_broker()  # never started: only describes
        self._register_consumers(broker)
        for topic in self.spec.publishes:
            for event_type in topic.event_types:
                broker.publisher(
                    self.settings.kafka.topic(topic.name),
                    title=f"{self.name}:{topic.name}:{event_type.value}",
                    description=f"{topic.description}. Key: {topic.key}.",
                    schema=event_model(event_type),
                )
        spec = AsyncAPI(
            broker,
            title=self.spec.title,
            version=self.spec.version,
            description=self.spec.description,
            schema_version="3.0.0",
        )
        document: dict[str, Any] = spec.to_specification().to_jsonable()
        return document

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Run the start-up checks, then connect; on any failure undo what was started."""
        for hook in self.spec.on_startup:
            await hook(self)
        try:
            # An API process only writes to its database (the outbox): it needs no broker, so a
            # Kafka outage neither stops it from starting nor makes it unready.
            if self.worker:
                await self.broker.start()
                self.relay = OutboxRelay(
                    service=self.name,
                    metadata=self.metadata,
                    sessionmaker=self.sessionmaker,
                    database_url=self.settings.database_url,
                    broker=self.broker,
                    topic_prefix=self.settings.kafka.topic_prefix,
                    batch_size=self.settings.outbox_batch_size,
                    poll_interval=self.settings.outbox_poll_interval_seconds,
                )
                await self.relay.start()
                self.pruner = RetentionPruner(
                    service=self.name,
                    metadata=self.metadata,
                    sessionmaker=self.sessionmaker,
                    policy=RetentionPolicy.of(self.settings),
                )
                await self.pruner.start()
                if self.consumers:
                    self.lag_monitor = ConsumerLagMonitor(
                        self.name,
                        self.settings.kafka,
                        self.consumer_group,
                        [consumer.topic_name for consumer in self.consumers],
                        interval=self.settings.lag_interval_seconds,
                    )
                    await self.lag_monitor.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for hook in self.spec.on_shutdown:
            try:
                await hook(self)
            except Exception:
                log.exception("a shutdown hook of %s failed", self.name)
        if self.lag_monitor:
            await self.lag_monitor.stop()
            self.lag_monitor = None
        if self.pruner:
            await self.pruner.stop()
            self.pruner = None
        if self.relay:
            await self.relay.stop()
            self.relay = None
        for consumer in self.consumers:
            await consumer.close()
        # Stops consuming first, then its producer: no dead letter is left half-sent.
        await self.broker.stop()
        await wakes_sent()  # on the engine's connections
        await self.engine.dispose()
        await self.numbering_engine.dispose()

    @property
    def required_checks(self) -> frozenset[str]:
        """What this process needs to do its work: an API its database, a worker also Kafka."""
        return frozenset({"database", "kafka"} if self.worker else {"database"})

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state; Kafka's only where this process holds a connection to it."""
        timeout = self.settings.readiness_timeout_seconds
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if not self.worker and not self.broker.running:
            return checks
        try:
            checks["kafka"] = "ok" if await self.broker.ping(timeout) else "unreachable"
        except Exception as exc:
            checks["kafka"] = f"unreachable: {type(exc).__name__}"
        return checks

    # --- HTTP ---------------------------------------------------------------------------------

    def create_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(
            title=self.spec.title,
            version=self.spec.version,
            description=self.spec.description,
            lifespan=lifespan,
        )
        app.state.runtime = self
        install_problem_handlers(app)
        self._install_middleware(app)
        instrument_app(app)  # spans for its requests, if this process traces
        app.include_router(self._operations_router())
        app.state.token_verifier = TokenVerifier(self.settings.auth)
        if self.api:
            # Every API route needs a valid token with some role; each router or endpoint
            # declares which roles may change things (servicekit.auth.require_for_changes).
            dependencies = [Depends(require(*READ)), *self.spec.route_dependencies]
            for router in self.spec.routers:
                app.include_router(router, dependencies=dependencies)
            app.include_router(admin_router(self))  # /admin: administrators only
        return app

    def _install_middleware(self, app: FastAPI) -> None:
        service = self.name
        app.add_middleware(
            BodySizeLimit,
            max_bytes=self.settings.max_request_bytes,
            by_prefix=self.spec.body_limits,
        )

        app.add_middleware(CorrelateAndMeasure, service=service)

    def _operations_router(self) -> APIRouter:
        router = APIRouter(tags=["operations"])

        @router.get("/health/live")
        async def live() -> dict[str, str]:
            """The process is up."""
            return {"status": "ok"}

        @router.get("/health/ready", responses={503: {"description": "A dependency is down"}})
        async def ready() -> JSONResponse:
            """What this process needs is reachable: the database, and Kafka for a worker."""
            checks = await self.readiness()
            healthy = all(checks.get(name) == "ok" for name in self.required_checks)
            return JSONResponse(
                {"status": "ok" if healthy else "unavailable", "checks": checks},
                status_code=200 if healthy else 503,
            )

        metrics_guard = [Depends(require(*READ))] if self.settings.auth.protect_metrics else []

        @router.get("/metrics", include_in_schema=False, dependencies=metrics_guard)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        @router.get("/asyncapi.json", include_in_schema=False)
        async def asyncapi() -> dict[str, Any]:
            return self.asyncapi()

        return router


class CorrelateAndMeasure:
    """Each request's correlation id (taken or made, echoed in the response), its duration in
    the HTTP histogram and its access log line.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the
    rest of the app in a task of its own behind memory streams, on every request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = Headers(scope=scope).get(CORRELATION_HEADER) or str(uuid.uuid4())
        started = time.perf_counter()
        status = 500  # unless the app starts an answer

        async def send_with_correlation(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        with log_context(correlation_id=correlation_id[:200]):
            try:
                await self.app(scope, receive, send_with_correlation)
            finally:
                # the router put the matched route into the scope; the log line carries the id
                self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        path = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        HTTP_SECONDS.labels(self.service, method, path, str(status)).observe(seconds)
        if not path.startswith(_UNLOGGED_ROUTES):
            client = scope.get("client")
            access_log.info(
                "%s %s %d",
                method,
                scope["path"],
                status,
                extra={
                    "http_method": method,
                    "http_path": scope["path"],
                    "http_route": path,
                    "http_status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "client": client[0] if client else None,
                },
            )


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether announced or streamed; a path
    starting with a prefix of `by_prefix` has that prefix's limit instead."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, by_prefix: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.by_prefix = dict(by_prefix or {})

    def limit_of(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_of(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, receive, send, max_bytes)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes and not refused:
                refused = True
                await self._refuse(scope, receive, send, max_bytes)
                return {"type": "http.disconnect"}  # the app stops reading and gives up
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # whatever the app answers after the refusal is dropped
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        response = problem_response(
            413,
            "Content Too Large",
            f"the request body exceeds {max_bytes} bytes",
            scope.get("path", ""),
        )
        await response(scope, receive, send)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
