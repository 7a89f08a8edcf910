"""The pure parts of the benchmark's steady-rate mode: the schedule and the memory figures."""

from __future__ import annotations

import itertools
from types import ModuleType

import pytest

MIB = 1024 * 1024


def test_the_schedule_spaces_the_starts_evenly_within_the_window(bench: ModuleType) -> None:
    starts = bench.schedule(10, 600)
    assert len(starts) == 6000
    assert starts[0] == 0
    assert starts[-1] == pytest.approx(599.9)
    assert all(b - a == pytest.approx(0.1) for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(
    ("rate", "seconds", "count"),
    [(1, 60, 60), (0.5, 60, 30), (3, 0.5, 2), (1, 0.5, 1), (10, 0, 0)],
)
def test_the_schedule_counts_the_starts_before_the_end(
    bench: ModuleType, rate: float, seconds: float, count: int
) -> None:
    starts = bench.schedule(rate, seconds)
    assert len(starts) == count
    assert all(start < seconds for start in starts)


def test_the_in_flight_bound_is_thirty_seconds_of_starts_unless_given(bench: ModuleType) -> None:
    assert bench.Steady(rate=10, minutes=10).in_flight_bound == 300
    assert bench.Steady(rate=1, minutes=10).in_flight_bound == 50
    assert bench.Steady(rate=10, minutes=10, max_in_flight=7).in_flight_bound == 7


def test_samples_become_mib_per_service_from_the_start(bench: ModuleType) -> None:
    history = [
        (99.0, {"orders": 50 * MIB}),
        (100.0, {"orders": 100 * MIB, "billing": 80 * MIB}),
        (105.0, {"orders": 101 * MIB, "billing": 80 * MIB}),
    ]
    assert bench.rss_series(history, started=100.0) == {
        "orders": [(0.0, 100.0), (5.0, 101.0)],
        "billing": [(0.0, 80.0), (5.0, 80.0)],
    }


def test_each_minute_has_the_min_median_and_max_of_its_samples(bench: ModuleType) -> None:
    series = [(0.0, 10.0), (30.0, 14.0), (59.0, 12.0), (60.0, 20.0), (90.0, 22.0)]
    assert bench.per_minute(series) == [
        {"minute": 1, "min": 10.0, "median": 12.0, "max": 14.0, "samples": 3},
        {"minute": 2, "min": 20.0, "median": 21.0, "max": 22.0, "samples": 2},
    ]


def test_what_the_warm_up_allocates_is_not_growth(bench: ModuleType) -> None:
    series = [(0.0, 100.0), (30.0, 150.0), (60.0, 160.0), (300.0, 160.0), (600.0, 160.0)]
    figures = bench.growth(series, warmup=60.0)
    assert figures["warmup_end_s"] == 60.0
    assert figures["warmup_end_mib"] == 160.0
    assert figures["end_mib"] == 160.0
    assert figures["growth_mib"] == 0.0
    assert figures["growth_percent"] == 0.0
    assert figures["slope_mib_per_min"] == pytest.approx(0.0)


def test_a_steady_leak_shows_as_growth_and_slope(bench: ModuleType) -> None:
    # 100 MiB at the end of minute 1, then 2 MiB more every minute until minute 10.
    series = [(60.0 + 5 * i, 100.0 + 2 * (5 * i) / 60) for i in range(109)]
    figures = bench.growth(series, warmup=60.0)
    assert figures["end_s"] == 600.0
    assert figures["growth_mib"] == pytest.approx(18.0)
    assert figures["growth_percent"] == pytest.approx(18.0)
    assert figures["slope_mib_per_min"] == pytest.approx(2.0)


def test_the_slope_leaves_out_the_warm_up_samples(bench: ModuleType) -> None:
    series = [(0.0, 0.0), (30.0, 90.0), (60.0, 100.0), (120.0, 101.0), (180.0, 102.0)]
    figures = bench.growth(series, warmup=60.0)
    assert figures["slope_mib_per_min"] == pytest.approx(1.0)
    assert figures["growth_mib"] == pytest.approx(2.0)


def test_without_a_sample_in_the_warm_up_the_first_one_is_the_base(bench: ModuleType) -> None:
    figures = bench.growth([(70.0, 50.0), (130.0, 55.0)], warmup=60.0)
    assert figures["warmup_end_s"] == 70.0
    assert figures["growth_mib"] == 5.0
    assert figures["growth_percent"] == pytest.approx(10.0)


def test_one_sample_has_no_slope_and_none_has_no_figures(bench: ModuleType) -> None:
    assert bench.growth([(0.0, 50.0)], warmup=60.0)["slope_mib_per_min"] is None
    assert bench.growth([], warmup=60.0) == {}


def test_the_lives_of_each_minute_are_counted_by_their_start(bench: ModuleType) -> None:
    starts = [0.0, 30.0, 59.5, 60.0, 125.0]
    lives = [(0.0, 1.0), (30.0, 3.0), (59.5, 2.0), (125.0, 4.0)]  # the one at 60 s never ended
    rows = bench.lives_per_minute(starts, lives)
    assert [(r["minute"], r["started"], r["completed"]) for r in rows] == [
        (1, 3, 3),
        (2, 1, 0),
        (3, 1, 1),
    ]
    assert rows[0]["p50_ms"] == 2000.0
    assert rows[0]["p99_ms"] == 3000.0
    assert rows[1]["p50_ms"] != rows[1]["p50_ms"]  # NaN: nothing completed
    assert rows[2]["p99_ms"] == 4000.0
