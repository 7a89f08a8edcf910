"""The four services as separate processes, on their own databases and topic prefix.

Two shapes: `suite` runs one `serve` process (API + worker) per service; `split_suite` runs them
as deployed, an `api` process and `SPLIT_WORKER_REPLICAS` `worker` processes per service, so
two relays share each outbox and two consumers share each consumer group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servicekit.settings import KafkaSettings
from servicekit.testing import SERVICES, ServiceProcess, Suite, TemporaryDatabases, free_port
from servicekit.topics import delete_topics, ensure_topics

SPLIT_WORKER_REPLICAS = 2

# The first test of a module also waits for the suite to start (each process up to 300 s on a
# loaded machine): the project-wide 300 s per test would cut it before its readiness wait ends.
SUITE_TEST_TIMEOUT = 900


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SUITE_TEST_TIMEOUT))


@dataclass
class CommandProcess(ServiceProcess):
    """A service process running one command of its CLI: `serve`, `api` or `worker`."""

    command: str = "serve"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", f"{self.name}.entrypoints.cli", self.command),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                ],
                env=self.env,
                stdout=log,
                stderr=log,
            )


@dataclass
class SplitSuite(Suite):
    """The suite whose `services` are the API processes, with the worker replicas beside them."""

    workers: dict[str, list[ServiceProcess]] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def running_suite(
    kafka_bootstrap: str, databases: TemporaryDatabases, workdir: Path, *, worker_replicas: int
) -> AsyncIterator[SplitSuite]:
    """Migrate and start the four services; `worker_replicas` 0 means one `serve` process each."""
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=f"e2e{uuid.uuid4().hex[:8]}."
    )
    await ensure_topics(kafka)
    base_env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "DOCUMENTS_STORAGE_DIR": str(workdir / "documents"),
    }
    suite = SplitSuite(kafka=kafka)
    for name in SERVICES:
        env = {
            **base_env,
            f"{name.upper()}_DATABASE_URL": await databases.create(name),
            f"{name.upper()}_OUTBOX_POLL_INTERVAL_SECONDS": "1",
            f"{name.upper()}_JSON_LOGS": "true",
        }
        if not worker_replicas:
            suite.services[name] = ServiceProcess(name, free_port(), env, workdir / f"{name}.log")
            continue
        suite.services[name] = CommandProcess(
            name, free_port(), env, workdir / f"{name}-api.log", command="api"
        )
        suite.workers[name] = [
            CommandProcess(
                name, free_port(), env, workdir / f"{name}-worker-{i}.log", command="worker"
            )
            for i in range(1, worker_replicas + 1)
        ]
    processes = [
        *suite.services.values(),
        *(worker for replicas in suite.workers.values() for worker in replicas),
    ]
    await asyncio.gather(*(asyncio.to_thread(s.run, "migrate") for s in suite.services.values()))
    for process in processes:
        process.start()
    try:
        # generous: on a busy machine (two cores, many processes) a start took over three minutes
        await asyncio.gather(*(process.wait_ready(300) for process in processes))
        yield suite
    finally:
        await asyncio.gather(*(asyncio.to_thread(process.stop) for process in processes))
        await delete_topics(kafka)


@pytest.fixture(scope="session")
async def suite(
    kafka_bootstrap: str, databases: TemporaryDatabases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Suite]:
    """The four services, one `serve` process (API + worker) each."""
    workdir = tmp_path_factory.mktemp("suite")
    async with running_suite(kafka_bootstrap, databases, workdir, worker_replicas=0) as running:
        yield running


@pytest.fixture(scope="module")
async def split_suite(
    kafka_bootstrap: str, databases: TemporaryDatabases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SplitSuite]:
    """The four services as deployed: an `api` process and two `worker` processes each."""
    workdir = tmp_path_factory.mktemp("split-suite")
    async with running_suite(
        kafka_bootstrap, databases, workdir, worker_replicas=SPLIT_WORKER_REPLICAS
    ) as running:
        yield running
