"""The bench's creates phase (`--creates N`): its rows, and the CPU each create took."""

from __future__ import annotations

from types import ModuleType

import pytest


def test_without_the_phase_there_are_no_creates_rows(bench: ModuleType) -> None:
    assert bench.creates_rows(None, "PostgreSQL TPC-B", 2000.0) == []


def test_each_create_costs_the_cpu_between_the_marks_over_the_creates(bench: ModuleType) -> None:
    creates = {"orders": 1500, "warmup": 150, "concurrency": 32, "req_per_s": 300.0}
    cpu = {
        "orders": 3.0,
        "inventory": 0.3,
        "billing": 0.15,
        "documents": 0.15,
        "postgresql": 2.25,
        "kafka": 0.6,
        "bench client": 1.5,
    }
    bench.creates_cpu(creates, cpu)

    assert creates["cpu_ms_per_create"]["orders"] == pytest.approx(2.0)
    assert creates["service_cpu_ms_per_create"] == pytest.approx(2.4)  # the four services
    assert creates["box_cpu_ms_per_create"] == pytest.approx(5.3)  # and PG, Kafka, the bench
    rate, service, box = bench.creates_rows(creates, "PostgreSQL TPC-B", 2000.0)
    assert rate.figure == "order create over HTTP, 1,500 creates, 32 concurrent (warm)"
    assert rate.value == 300.0
    assert rate.ratio == pytest.approx(0.15)
    assert (service.value, box.value) == (pytest.approx(2.4), pytest.approx(5.3))


def test_without_postgresql_and_kafka_here_the_box_is_not_counted(bench: ModuleType) -> None:
    creates = {"orders": 100, "warmup": 10, "concurrency": 32, "req_per_s": 50.0}
    bench.creates_cpu(creates, {"orders": 0.5, "bench client": 0.1})

    assert creates["service_cpu_ms_per_create"] == pytest.approx(5.0)
    assert creates["box_cpu_ms_per_create"] is None
