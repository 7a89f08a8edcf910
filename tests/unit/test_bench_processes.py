"""Which processes the benchmark samples besides the services: PostgreSQL and Kafka."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def stat(bench: ModuleType, pid: int, ppid: int, name: str) -> Any:
    return bench.ProcessStat(pid=pid, ppid=ppid, name=name, cpu_seconds=1.0, rss_bytes=4096)


def test_each_postmaster_and_the_stacks_broker_are_roots(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "RUN_DIR", tmp_path)
    (tmp_path / "kafka.pid").write_text("40\n")
    processes = [
        stat(bench, 1, 0, "systemd"),
        stat(bench, 10, 1, "postgres"),  # a postmaster
        stat(bench, 11, 10, "postgres"),  # its backends and workers
        stat(bench, 12, 10, "postgres"),
        stat(bench, 20, 1, "postgres"),  # a second cluster
        stat(bench, 21, 20, "postgres"),
        stat(bench, 40, 1, "java"),
        stat(bench, 50, 1, "python"),
    ]
    assert bench.infrastructure_roots(processes) == {
        "postgresql": 10,
        "postgresql-2": 20,
        "kafka": 40,
    }


def test_a_broker_pid_file_of_a_stopped_broker_is_left_out(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "RUN_DIR", tmp_path)
    (tmp_path / "kafka.pid").write_text("40\n")
    processes = [stat(bench, 1, 0, "systemd"), stat(bench, 10, 1, "postgres")]
    assert bench.infrastructure_roots(processes) == {"postgresql": 10}


def test_infrastructure_counts_for_cpu_but_keeps_no_rss(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    processes = [
        stat(bench, 10, 1, "postgres"),
        stat(bench, 11, 10, "postgres"),
        stat(bench, 30, 1, "uv"),
        stat(bench, 31, 30, "python"),
    ]
    monkeypatch.setattr(bench, "all_processes", lambda: processes)
    sampler = bench.ProcessSampler({"orders": 30, "postgresql": 10})
    cpu = sampler.sample()
    assert cpu["postgresql"] == 2.0  # the postmaster and its backend
    assert cpu["orders"] == 2.0  # the launcher and the service
    _, rss = sampler.rss_history[-1]
    assert rss == {"orders": 4096}  # the service alone, not the launcher
    assert sampler.usage["postgresql"].peak_rss_bytes == 0


def test_the_box_row_is_empty_without_postgresql_and_kafka(bench: ModuleType) -> None:
    floors = {
        "postgres": {
            "throughput": {"tool": "pgbench TPC-B", "tps": 2000.0},
            "transaction": {"p50_ms": 0.5},
            "tpcb_one_client_ms": 1.0,
        },
        "kafka": {"producer_msgs_per_s": 20000.0, "one_hop": {"p50_ms": 0.6, "p99_ms": 3.0}},
        "reportlab": {"pdfs_per_s": 100.0},
    }
    latency = {"p50_ms": 1.0, "p99_ms": 2.0}
    suite = {
        "create": {"concurrency": 32, "req_per_s": 150.0},
        "burst": {
            "orders": 300,
            "orders_per_s": 120.0,
            "latency": latency,
            "latency_lower_bound": latency,
            "confirmation_pdfs_per_s": 80.0,
        },
        "single": {"latency": latency},
        "life": {"orders": 200, "orders_per_s": 18.0, "latency": latency, "pdfs_per_s": 50.0},
    }

    def box(rows: list[Any]) -> Any:
        [row] = [r for r in rows if r.figure.startswith("full life: box CPU")]
        return row.value

    assert box(bench.rows_of(floors, suite, 0.07, 0.11)) == pytest.approx(110.0)
    assert box(bench.rows_of(floors, suite, 0.07)) is None
