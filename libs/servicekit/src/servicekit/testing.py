"""Where tests find a real Kafka broker and a real PostgreSQL server.

In order: the environment (`KAFKA_BOOTSTRAP_SERVERS`, `POSTGRES_ADMIN_URL`); testcontainers when a
Docker engine answers; otherwise the project's own local stack (`deploy/local/*.sh`), started
here if it is not running and stopped again at the end of the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from asyncpg.prepared_stmt import PreparedStatement
from pydantic import BaseModel
from sqlalchemy import ClauseElement, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler

from contracts.common import OrderSnapshot
from contracts.envelope import CloudEvent, new_event
from contracts.events import PAYLOADS, EventType, OrderCancelled
from servicekit.auth import AuthSettings, mint_token
from servicekit.db import make_engine, make_numbering_engine, make_sessionmaker
from servicekit.migrations import upgrade
from servicekit.runtime import Runtime, ServiceSpec
from servicekit.settings import KafkaSettings, ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[4]
LOCAL_STACK = REPO_ROOT / "deploy" / "local"
LOCAL_KAFKA = "127.0.0.1:19092"
LOCAL_POSTGRES = "postgresql://postgres:postgres@127.0.0.1:55432/postgres"


@dataclass
class Infrastructure:
    kafka_bootstrap: str
    postgres_admin_url: str  # libpq form: postgresql://user:password@host:port/db
    description: list[str] = field(default_factory=list)
    # a listener requiring SCRAM credentials, when the broker has one (the local stack does)
    kafka_scram: KafkaSettings | None = None
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                cleanup()


def _docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


def _port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
        return True
    return False


def _local(script: str, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
        ["bash", str(LOCAL_STACK / script), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"deploy/local/{script} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout.strip()


def start_infrastructure() -> Infrastructure:
    infra = Infrastructure(kafka_bootstrap="", postgres_admin_url="")
    env_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    env_postgres = os.environ.get("POSTGRES_ADMIN_URL")
    docker = (not env_kafka or not env_postgres) and _docker_available()

    # PostgreSQL first: its local port (55432) lies in the kernel's ephemeral range, where a
    # broker started before it may have taken it for one of its own connections.
    if env_postgres:
        infra.postgres_admin_url = env_postgres
        infra.description.append("PostgreSQL from the environment")
    elif docker:
        from testcontainers.postgres import PostgresContainer

        pg_container = PostgresContainer("postgres:16", driver=None)
        pg_container.start()
        infra._cleanups.append(pg_container.stop)
        infra.postgres_admin_url = pg_container.get_connection_url()
        infra.description.append("PostgreSQL 16 in a container")
    else:
        was_running = _port_open("127.0.0.1:55432")
        _local("postgres.sh", "start")
        if not was_running:
            infra._cleanups.append(lambda: print(_local("postgres.sh", "stop")))
        infra.postgres_admin_url = LOCAL_POSTGRES
        infra.description.append("PostgreSQL (local stack) at 127.0.0.1:55432")
    if env_kafka:
        infra.kafka_bootstrap = env_kafka
        infra.description.append(f"Kafka from the environment at {env_kafka}")
        if os.environ.get("TEST_KAFKA_SCRAM_BOOTSTRAP_SERVERS"):
            infra.kafka_scram = KafkaSettings(
                bootstrap_servers=os.environ["TEST_KAFKA_SCRAM_BOOTSTRAP_SERVERS"],
                security_protocol="SASL_PLAINTEXT",
                sasl_mechanism="SCRAM-SHA-512",
                sasl_username=os.environ.get("TEST_KAFKA_SCRAM_USERNAME", "suite"),
                sasl_password=os.environ.get("TEST_KAFKA_SCRAM_PASSWORD", ""),
            )
    elif docker:
        from testcontainers.kafka import KafkaContainer

        kafka_container = KafkaContainer("apache/kafka:4.1.0").with_kraft()
        kafka_container.start()
        infra._cleanups.append(kafka_container.stop)
        infra.kafka_bootstrap = kafka_container.get_bootstrap_server()
        infra.description.append(f"Kafka 4.1.0 in a container at {infra.kafka_bootstrap}")
    else:
        was_running = _port_open(LOCAL_KAFKA)
        _local("kafka.sh", "fetch")
        _local("kafka.sh", "start")
        if not was_running:
            infra._cleanups.append(lambda: print(_local("kafka.sh", "stop")))
        infra.kafka_bootstrap = LOCAL_KAFKA
        infra.kafka_scram = KafkaSettings(
            bootstrap_servers=f"127.0.0.1:{os.environ.get('KAFKA_SASL_PORT', '19094')}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=os.environ.get("KAFKA_SCRAM_USER", "suite"),
            sasl_password=os.environ.get("KAFKA_SCRAM_PASSWORD", "suite-local-scram-password"),
        )
        version = _local("kafka.sh", "version")
        infra.description.append(
            f"Apache Kafka {version} broker (KRaft, local stack) at {LOCAL_KAFKA}"
        )

    return infra


async def postgres_version(admin_url: str) -> str:
    connection = await asyncpg.connect(admin_url)
    try:
        version: str = await connection.fetchval("SHOW server_version")
        return version
    finally:
        await connection.close()


class TemporaryDatabases:
    """Creates throwaway databases on the test server and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    async def create(self, label: str) -> str:
        """A fresh, empty database; returns its SQLAlchemy asyncpg URL."""
        name = f"test_{label}_{uuid.uuid4().hex[:10]}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.created.append(name)
        url = make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            for name in self.created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.created.clear()


@contextlib.asynccontextmanager
async def migrated_sessions(
    databases: TemporaryDatabases, migrations_dir: Path, label: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database migrated with a service's migrations, as a sessionmaker (as the
    service makes it); the engine is disposed of afterwards."""
    url = await databases.create(label)
    await asyncio.to_thread(upgrade, migrations_dir, url)
    engine, numbering = make_engine(url, pool_size=5), make_numbering_engine(url)
    try:
        yield make_sessionmaker(engine, numbering=numbering)
    finally:
        await engine.dispose()
        await numbering.dispose()


@dataclass
class PartlyMigrated:
    """A database migrated up to a past revision, for a test of the migrations after it: rows
    written as the schema stood then (`sessions`), then `to_head()`."""

    sessions: async_sessionmaker[AsyncSession]
    migrations_dir: Path
    url: str

    async def to_head(self) -> None:
        await asyncio.to_thread(upgrade, self.migrations_dir, self.url)


@contextlib.asynccontextmanager
async def migrated_up_to(
    databases: TemporaryDatabases, migrations_dir: Path, label: str, revision: str
) -> AsyncIterator[PartlyMigrated]:
    """A fresh database migrated with a service's migrations up to `revision`; the engine is
    disposed of afterwards."""
    url = await databases.create(label)
    await asyncio.to_thread(upgrade, migrations_dir, url, revision)
    engine = make_engine(url)
    try:
        yield PartlyMigrated(make_sessionmaker(engine), migrations_dir, url)
    finally:
        await engine.dispose()


async def pages_touched(
    connection: AsyncConnection,
    statement: ClauseElement,
    parameters: Mapping[str, Any] | None = None,
) -> int:
    """The pages (shared buffers, found in the cache or read) PostgreSQL touches to run
    `statement` with `parameters`, from its `EXPLAIN (ANALYZE, BUFFERS)`; whatever it writes is
    rolled back. For tests that a query reads an index's few pages, not a whole table."""
    compiled = cast(
        SQLCompiler,
        statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True}),
    )
    values = compiled.construct_params(dict(parameters or {}))
    explained = await connection.exec_driver_sql(
        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}",
        tuple(values[name] for name in compiled.positiontup or ()),
    )
    plan = explained.scalar_one()[0]["Plan"]
    await connection.rollback()
    return int(plan["Shared Hit Blocks"] + plan["Shared Read Blocks"])


async def table_pages(connection: AsyncConnection, table: str) -> int:
    """The pages of `table`, as its last `ANALYZE` counted them."""
    pages = await connection.scalar(
        text("SELECT relpages FROM pg_class WHERE relname = :table"), {"table": table}
    )
    return int(pages)


UnitOfWorkT = TypeVar("UnitOfWorkT")


@contextlib.asynccontextmanager
async def fake_or_sql(
    kind: str,
    fake: UnitOfWorkT,
    sessions: async_sessionmaker[AsyncSession],
    sql: Callable[[AsyncSession], UnitOfWorkT],
) -> AsyncIterator[UnitOfWorkT]:
    """The unit of work a repository contract test runs on (`kind` "fake" or "sql"): the fake
    as it is, or the SQL one on a session whose transaction is rolled back afterwards.

        @pytest.fixture(params=["fake", "sql"])
        async def uow(request, fake_uow, contract_sessions):
            async with fake_or_sql(request.param, fake_uow, contract_sessions, SqlUnitOfWork) as u:
                yield u
    """
    if kind == "fake":
        yield fake
        return
    async with sessions() as session:
        await session.begin()
        try:
            yield sql(session)
        finally:
            await session.rollback()


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

# Quick rounds for tests: the relay polls the outbox twice a second, a consumer retries at once.
TEST_SERVICE_SETTINGS: dict[str, Any] = {
    "outbox_poll_interval_seconds": 0.5,
    "consumer_backoff_seconds": 0.05,
    "json_logs": False,
}


async def settings_for_test(
    kind: type[SettingsT],
    databases: TemporaryDatabases,
    kafka: KafkaSettings,
    name: str,
    **overrides: Any,
) -> SettingsT:
    """A service's settings in a test: a fresh database labelled `name`, the test broker,
    quick outbox and retry rounds (`TEST_SERVICE_SETTINGS`); `overrides` set the rest."""
    values = TEST_SERVICE_SETTINGS | overrides
    return kind(database_url=await databases.create(name), kafka=kafka, **values)


def contract_sessions_fixture(migrations_dir: Path, label: str) -> Any:
    """The `contract_sessions` fixture of a repository contract suite, to bind under that name:
    one database per test module, migrated with the service's migrations (`migrated_sessions`).

        contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "inventory_contract")
    """
    import pytest  # only tests call this; servicekit itself does not depend on pytest

    @pytest.fixture(scope="module")
    async def contract_sessions(
        databases: TemporaryDatabases,
    ) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
        async with migrated_sessions(databases, migrations_dir, label) as sessions:
            yield sessions

    return contract_sessions


def fake_or_sql_fixture(sql: Callable[[AsyncSession], Any]) -> Any:
    """The `uow` fixture of a repository contract suite, to bind under that name: every case
    runs twice, on the `fake_uow` fixture and on `sql(session)` in a rolled-back transaction of
    `contract_sessions` (`fake_or_sql`).

        uow = fake_or_sql_fixture(SqlUnitOfWork)
    """
    import pytest  # only tests call this; servicekit itself does not depend on pytest

    @pytest.fixture(params=["fake", "sql"])
    async def uow(
        request: pytest.FixtureRequest,
        fake_uow: Any,
        contract_sessions: async_sessionmaker[AsyncSession],
    ) -> AsyncIterator[Any]:
        async with fake_or_sql(request.param, fake_uow, contract_sessions, sql) as chosen:
            yield chosen

    return uow


@contextlib.asynccontextmanager
async def input_producer(kafka: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer (acks=all, idempotent) for writing test input to Kafka."""
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def console_script_result(
    argv: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run one of the workspace's console scripts (`argv[0]`, e.g. `suite-ops`) as an operator
    would, with `env` added to this process's environment; whatever its exit status."""
    executable = str(Path(sys.executable).with_name(argv[0]))
    return await asyncio.to_thread(
        subprocess.run,
        [executable, *argv[1:]],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def run_console_script(argv: list[str], env: dict[str, str]) -> str:
    """`console_script_result`'s stdout, once the command succeeded."""
    result = await console_script_result(argv, env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def from_orders(event_type: EventType, payload: BaseModel, subject: str) -> CloudEvent[Any]:
    """An event as the orders service publishes it: source `/orders`, the order as subject."""
    return new_event(event_type, payload, source="/orders", subject=subject)


def order_event(event_type: EventType, order: OrderSnapshot) -> CloudEvent[Any]:
    """An orders event whose payload is the whole order (`order.confirmed`, `order.completed`)."""
    return from_orders(event_type, PAYLOADS[event_type](order=order), order.order_id)


def order_cancelled(order_id: str, reason: str | None = "test") -> CloudEvent[Any]:
    """A plain `order.cancelled` from orders: the kit's tests consume it as any input event."""
    cancelled = OrderCancelled(
        order_id=order_id, number="SO-1", reason=reason, previous_status="open"
    )
    return from_orders(EventType.ORDER_CANCELLED, cancelled, order_id)


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 30.0, interval: float = 0.2
) -> Any:
    """Poll `probe` until it returns something truthy; fail with its last value on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: Any = None
    while True:
        last = await probe()
        if last:
            return last
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last value: {last!r})")
        await asyncio.sleep(interval)


TEST_AUTH_SECRET = "test-only-shared-secret-not-for-production-use"  # noqa: S105


def use_test_identity() -> None:
    """Configure the development (shared-secret) token mode for this process and its children."""
    os.environ.setdefault("AUTH_DEV_SECRET", TEST_AUTH_SECRET)
    os.environ.setdefault("AUTH_ALLOW_DEV_SECRET", "true")


def token(
    *roles: str,
    subject: str | None = None,
    ttl_seconds: int = 3600,
    team: str | None = None,
    **claims: str,
) -> str:
    """A token for the test identity (see `use_test_identity`), signed like the IdP would."""
    settings = AuthSettings()
    assert settings.dev_secret is not None, "call use_test_identity() first"
    return mint_token(
        settings.dev_secret.get_secret_value(),
        subject=subject or f"test-{'-'.join(roles)}",
        roles=list(roles),
        issuer=claims.get("issuer", settings.issuer),
        audience=claims.get("audience", settings.audience),
        ttl_seconds=ttl_seconds,
        team=team,
    )


def bearer(*roles: str, subject: str | None = None, team: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, subject=subject, team=team)}"}


@contextlib.asynccontextmanager
async def service_under_test(
    spec: ServiceSpec, migrations_dir: Path
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """Migrate the service's database, start its runtime (API + worker) and give an HTTP client."""
    await asyncio.to_thread(upgrade, migrations_dir, spec.settings.database_url)
    runtime = Runtime(spec, api=True, worker=True)
    app = runtime.create_app()
    try:
        await runtime.start()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer("admin")
        ) as client:
            yield runtime, client
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def service_with_input(
    spec: ServiceSpec, migrations_dir: Path
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, AIOKafkaProducer]]:
    """`service_under_test` and an `input_producer` on its broker, for writing the events it
    consumes: the running service, its HTTP client and the producer."""
    async with (
        service_under_test(spec, migrations_dir) as (runtime, client),
        input_producer(spec.settings.kafka) as producer,
    ):
        yield runtime, client, producer


# --- the whole suite as separate processes (cross-service tests) ---------------------------

SERVICES = ("orders", "inventory", "billing", "documents")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> None:
        with self.log_path.open("ab") as log:
            subprocess.run(  # noqa: S603 - our own entry point
                [sys.executable, "-m", f"{self.name}.entrypoints.cli", *args],
                env=self.env,
                stdout=log,
                stderr=log,
                check=True,
            )

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own entry point
            [
                sys.executable,
                "-m",
                f"{self.name}.entrypoints.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    # As long as a first start may take on a loaded 2-core machine (imports, migrations).
    async def wait_ready(self, within: float = 300.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health/ready")).status_code == 200:
                        return
                if loop.time() > deadline:
                    raise RuntimeError(f"{self.name} not ready in {within}s:\n{self.log_tail()}")
                await asyncio.sleep(0.3)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Suite:
    kafka: KafkaSettings
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.services[name].url

    def client(self, name: str, *roles: str) -> httpx.AsyncClient:
        """An HTTP client for one service, acting with `roles` (admin by default)."""
        return httpx.AsyncClient(
            base_url=self.url(name), timeout=30, headers=bearer(*(roles or ("admin",)))
        )

    async def restart(self, name: str) -> None:
        service = self.services[name]
        service.stop()
        service.start()
        await service.wait_ready()


@contextlib.contextmanager
def statements_sent(engine: Engine | Connection) -> Iterator[list[str]]:
    """The SQL statements `engine` (a session's bind) sends while the block runs, in order: for
    tests that pin how many round trips a use case costs."""
    sent: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextlib.contextmanager
def exchanges_sent() -> Iterator[list[int]]:
    """The statements sent while the block runs, as exchanges with the server: how many
    executions each carried (1 for a statement alone, more for a run of a transaction's
    pipeline, `servicekit.direct`). For tests that pin round trips where a statement listener
    (`statements_sent`) would change the path a statement takes. `BEGIN` and `COMMIT` are not
    prepared statements and are not counted."""
    sent: list[int] = []
    fetch, fetchmany = PreparedStatement.fetch, PreparedStatement.fetchmany

    async def fetch_counted(self: PreparedStatement, *args: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return await fetch(self, *args, **kwargs)

    async def fetchmany_counted(self: PreparedStatement, many: Any, **kwargs: Any) -> Any:
        sent.append(len(many))
        return await fetchmany(self, many, **kwargs)

    PreparedStatement.fetch = fetch_counted
    PreparedStatement.fetchmany = fetchmany_counted
    try:
        yield sent
    finally:
        PreparedStatement.fetch = fetch
        PreparedStatement.fetchmany = fetchmany
