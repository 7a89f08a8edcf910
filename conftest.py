"""Session-wide fixtures: a real Kafka broker and a real PostgreSQL server for integration tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from servicekit.settings import KafkaSettings
from servicekit.testing import (
    Infrastructure,
    TemporaryDatabases,
    postgres_version,
    start_infrastructure,
    use_test_identity,
)
from servicekit.topics import delete_topics, ensure_topics

# Services refuse to start without token verification; tests use the development mode.
use_test_identity()

_infrastructure: Infrastructure | None = None


def _needs_infrastructure(session: pytest.Session) -> bool:
    return any(item.get_closest_marker("integration") for item in session.items)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under an `integration` folder talks to real servers.
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infrastructure(request: pytest.FixtureRequest) -> Iterator[Infrastructure]:
    global _infrastructure
    infra = start_infrastructure()
    _infrastructure = infra
    version = asyncio.run(postgres_version(infra.postgres_admin_url))
    infra.description.append(f"PostgreSQL server version {version}")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        for line in infra.description:
            reporter.write_line(f"infrastructure: {line}")
    yield infra
    infra.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(infrastructure: Infrastructure) -> str:
    return infrastructure.kafka_bootstrap


@pytest.fixture(scope="session")
async def databases(infrastructure: Infrastructure) -> AsyncIterator[TemporaryDatabases]:
    dbs = TemporaryDatabases(infrastructure.postgres_admin_url)
    yield dbs
    await dbs.drop_all()


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[KafkaSettings]:
    """Kafka settings with a topic prefix of its own: each test sees only its own messages."""
    settings = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}."
    )
    await ensure_topics(settings)
    yield settings
    # one broker, many tests: removing each test's topics keeps the partition count small
    await delete_topics(settings)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _infrastructure is not None:
        for line in _infrastructure.description:
            terminalreporter.write_line(f"infrastructure: {line}")
