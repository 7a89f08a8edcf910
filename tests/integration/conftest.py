"""The four services as separate processes, on their own databases and topic prefix."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from servicekit.settings import KafkaSettings
from servicekit.testing import SERVICES, ServiceProcess, Suite, TemporaryDatabases, free_port
from servicekit.topics import delete_topics, ensure_topics


@pytest.fixture(scope="session")
async def suite(
    kafka_bootstrap: str, databases: TemporaryDatabases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Suite]:
    """Migrate and start the four services (API + worker each) as separate processes."""
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap, topic_prefix=f"e2e{uuid.uuid4().hex[:8]}."
    )
    await ensure_topics(kafka)
    workdir = tmp_path_factory.mktemp("suite")
    base_env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "DOCUMENTS_STORAGE_DIR": str(workdir / "documents"),
    }
    suite = Suite(kafka=kafka)
    for name in SERVICES:
        env = {
            **base_env,
            f"{name.upper()}_DATABASE_URL": await databases.create(name),
            f"{name.upper()}_OUTBOX_POLL_INTERVAL_SECONDS": "1",
            f"{name.upper()}_JSON_LOGS": "true",
        }
        suite.services[name] = ServiceProcess(name, free_port(), env, workdir / f"{name}.log")
    await asyncio.gather(*(asyncio.to_thread(s.run, "migrate") for s in suite.services.values()))
    for service in suite.services.values():
        service.start()
    try:
        await asyncio.gather(*(s.wait_ready() for s in suite.services.values()))
        yield suite
    finally:
        for service in suite.services.values():
            service.stop()
        await delete_topics(kafka)
