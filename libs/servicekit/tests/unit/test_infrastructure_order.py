"""The test harness starts the local PostgreSQL before the local broker.

PostgreSQL's port (55432) lies in Linux's ephemeral range: a broker started first may hold it
as the local end of one of its own connections, and PostgreSQL then cannot bind it.
"""

from __future__ import annotations

import pytest

from servicekit import testing


def test_the_local_postgresql_starts_before_the_local_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("POSTGRES_ADMIN_URL", raising=False)
    monkeypatch.setattr(testing, "_docker_available", lambda: False)
    monkeypatch.setattr(testing, "_port_open", lambda address: True)  # nothing to stop after
    calls: list[tuple[str, ...]] = []

    def local(script: str, *args: str) -> str:
        calls.append((script, *args))
        return "4.1.0" if args == ("version",) else ""

    monkeypatch.setattr(testing, "_local", local)

    infra = testing.start_infrastructure()

    starts = [script for script, *args in calls if args == ["start"]]
    assert starts == ["postgres.sh", "kafka.sh"]
    assert infra.postgres_admin_url == testing.LOCAL_POSTGRES
    assert infra.kafka_bootstrap == testing.LOCAL_KAFKA
