"""What scripts/replica_ab.py counts as a replica's work: its processed events and its
published ones, read from its Prometheus text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import script_module

METRICS = """\
# HELP suite_events_consumed_total Events taken from Kafka, by outcome
# TYPE suite_events_consumed_total counter
suite_events_consumed_total{event_type="a",outcome="processed",service="orders",topic="t"} 7.0
suite_events_consumed_total{event_type="b",outcome="processed",service="orders",topic="u"} 3.0
suite_events_consumed_total{event_type="a",outcome="duplicate",service="orders",topic="t"} 5.0
suite_events_consumed_created{event_type="a",outcome="processed",service="orders",topic="t"} 1.7e9
suite_outbox_published_total{service="orders",topic="orders.events"} 4.0
suite_outbox_published_created{service="orders",topic="orders.events"} 1.7e9
"""


@pytest.fixture(scope="module")
def replica_ab(bench: ModuleType) -> Iterator[ModuleType]:
    """scripts/replica_ab.py (it imports bench, loaded first)."""
    with script_module("replica_ab") as module:
        yield module


def test_work_is_processed_events_and_published_ones(replica_ab: ModuleType) -> None:
    assert replica_ab.work_counted(METRICS) == (10.0, 4.0)


def test_cpu_per_event_counts_both_kinds_of_work(replica_ab: ModuleType) -> None:
    spent = replica_ab.Usage(cpu_seconds=2.8, consumed=10.0, published=4.0)
    assert replica_ab.per_event_ms(spent) == pytest.approx(200.0)
    idle = replica_ab.Usage(cpu_seconds=0.5, consumed=0.0, published=0.0)
    assert replica_ab.per_event_ms(idle) == pytest.approx(500.0)  # no events: per one


def test_the_paired_ratio_keeps_the_runs_whose_replicas_did_the_same_mix(
    replica_ab: ModuleType,
) -> None:
    usage = replica_ab.Usage
    # CPU per event this / other: 0.9 in run 1, 0.8 in run 2; both with 20 % published.
    same_mix = [
        (usage(9.0, 800.0, 200.0), usage(10.0, 800.0, 200.0)),
        (usage(6.4, 1600.0, 400.0), usage(5.0, 1000.0, 250.0)),
    ]
    assert replica_ab.paired_ratio(same_mix) == pytest.approx((0.9 * 0.8) ** 0.5)
    # Run 2's other replica published half its events: left out.
    mixed = [same_mix[0], (usage(6.4, 1600.0, 400.0), usage(5.0, 500.0, 500.0))]
    assert replica_ab.paired_ratio(mixed) == pytest.approx(0.9)
    assert replica_ab.paired_ratio(mixed[1:]) is None


def test_a_mix_that_follows_the_place_is_compared_place_by_place(
    replica_ab: ModuleType,
) -> None:
    usage = replica_ab.Usage
    # Place 1 publishes 10 % of its events in both runs, place 2 50 %: never alike side by side.
    # `this_first`: place 1 runs this checkout and place 2 the other; `other_first` the reverse.
    this_first = {1: usage(9.0, 900.0, 100.0), 2: usage(15.0, 500.0, 500.0)}
    other_first = {1: usage(10.0, 900.0, 100.0), 2: usage(12.0, 500.0, 500.0)}
    # Place 1: this 9.0 ms per event against the other's 10.0; place 2: this 12.0 against 15.0.
    assert replica_ab.same_place_ratio(this_first, other_first) == pytest.approx((0.9 * 0.8) ** 0.5)
    # Place 2's mix changed between the runs: only place 1 is kept.
    other_first[2] = usage(12.0, 900.0, 100.0)
    assert replica_ab.same_place_ratio(this_first, other_first) == pytest.approx(0.9)


def test_a_checkouts_python_is_read_from_its_environment(
    replica_ab: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text(
        "home = /usr/bin\nimplementation = CPython\nversion_info = 3.11.2\n"
    )
    assert replica_ab.interpreter_of(tmp_path) == "/usr/bin 3.11.2"
