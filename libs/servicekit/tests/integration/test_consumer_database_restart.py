"""PostgreSQL restarted while a consumer works through a burst: nothing is dead-lettered and every
event takes effect once. Runs its own throw-away PostgreSQL server (never the shared one)."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from contracts.topics import ORDERS_EVENTS
from servicekit import dlq
from servicekit.consumer import EventConsumer, RetryPolicy
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.outbox import RELIABLE_PRODUCER_OPTIONS
from servicekit.settings import KafkaSettings
from servicekit.testing import eventually


def _postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.insert(0, str(Path(on_path).resolve().parent))
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory on a free port, trust authentication."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.data_root = Path(tempfile.mkdtemp(prefix="consumer-restart-", dir="/var/tmp"))
        self.data_dir = self.data_root / "data"
        self.port = _free_port()
        # initdb and postgres refuse to run as root
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.run_as:
            shutil.chown(self.data_root, user="postgres")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.run_as, *argv], check=True, capture_output=True, timeout=120)

    def init_and_start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-A", "trust", "-U",
                  "postgres", "--no-sync")  # fmt: skip
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.data_root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin_dir / "pg_ctl"), action, "-D", str(self.data_dir), "-w", "-t",
                  "60", "-o", options, "-l", str(self.data_root / "log"), *extra)  # fmt: skip

    def restart(self) -> None:
        """Fast shutdown (sessions get 57P01), then a start (57P03 until it accepts)."""
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m",
                      "immediate", "-w")  # fmt: skip
        finally:
            shutil.rmtree(self.data_root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bin_dir)
    try:
        server.init_and_start()
        yield server
    finally:
        server.destroy()


BURST = 200


@pytest.fixture
async def producer(kafka: KafkaSettings) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(**kafka.client_options(), acks="all", linger_ms=5)
    await producer.start()
    yield producer
    await producer.stop()


async def test_postgresql_restarted_under_a_burst_nothing_dead_lettered_each_event_once(
    private_postgres: PrivatePostgres, kafka: KafkaSettings, producer: AIOKafkaProducer
) -> None:
    metadata = new_metadata()
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(200), nullable=False),
    )
    engine = make_engine(private_postgres.url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

    async def handle(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
        await session.execute(effects.insert().values(event_id=event.id))
        await asyncio.sleep(0.02)  # a handler's work: the burst takes a few seconds

    broker = KafkaBroker(**kafka.broker_options(), **RELIABLE_PRODUCER_OPTIONS)
    consumer = EventConsumer(
        service="restart",
        group_id=f"restart-{uuid.uuid4().hex[:6]}",
        topic=ORDERS_EVENTS,
        handlers={EventType.ORDER_CANCELLED: handle},
        metadata=metadata,
        sessionmaker=make_sessionmaker(engine),
        retry=RetryPolicy(max_attempts=2, backoff_seconds=0.1, max_backoff_seconds=1.0),
        topic_prefix=kafka.topic_prefix,
    )
    consumer.register(broker)

    async def effects_count() -> int:
        async with engine.connect() as connection:
            count = await connection.execute(select(func.count()).select_from(effects))
            return int(count.scalar_one())

    sent: set[str] = set()
    for number in range(BURST):
        order_id = str(uuid.uuid4())
        event = new_event(
            EventType.ORDER_CANCELLED,
            OrderCancelled(order_id=order_id, number=f"SO-{number}", previous_status="open"),
            source="/tests/restart",
            subject=order_id,
        )
        sent.add(event.id)
        await producer.send(
            kafka.topic("orders.events"),
            value=event.model_dump_json().encode(),
            key=order_id.encode(),
        )
    await producer.flush()

    await broker.start()
    try:
        await eventually(lambda: _at_least(effects_count, BURST // 5), interval=0.05)
        await asyncio.to_thread(private_postgres.restart)
        assert await effects_count() < BURST  # the restart came in the middle of the burst

        async def all_done() -> bool:
            return await effects_count() >= BURST

        await eventually(all_done, within=120)
        await asyncio.sleep(1)  # anything processed twice would show now
        async with engine.connect() as connection:
            rows = await connection.execute(select(effects.c.event_id))
            processed = list(rows.scalars())
    finally:
        await consumer.close()  # as a runtime stops it: before its broker
        await broker.stop()
        await engine.dispose()

    assert len(processed) == BURST
    assert set(processed) == sent
    letters = await dlq.read_dead_letters(kafka, kafka.topic("orders.events.dlq"), wait_seconds=1)
    assert letters == []


async def _at_least(probe: object, count: int) -> bool:
    assert callable(probe)
    return bool(await probe() >= count)
