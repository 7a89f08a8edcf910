"""The sales reports' figures: percentiles, durations, ageing buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.domain.reports import age_bucket, hours_between, percentile

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_percentiles_are_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 0.5) == 5.0
    assert percentile(values, 0.9) == 9.0
    assert percentile([42.0], 0.9) == 42.0
    assert percentile([], 0.5) is None


def test_durations_in_hours_need_both_ends_in_order() -> None:
    assert hours_between(T0, T0 + timedelta(minutes=90)) == 1.5
    assert hours_between(T0, None) is None
    assert hours_between(T0 + timedelta(hours=1), T0) is None


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-7"), (7, "0-7"), (8, "8-30"), (31, "31+")])
def test_backorders_age_in_buckets(days: int, bucket: str) -> None:
    assert age_bucket(days) == bucket
