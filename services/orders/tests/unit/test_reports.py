"""The sales reports' figures: durations, ageing buckets (the cycle times' percentiles are
PostgreSQL's, checked in test_sales_model.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders.domain.reports import age_bucket, hours


def test_durations_in_hours_to_the_hundredth() -> None:
    assert hours(timedelta(minutes=90)) == 1.5
    assert hours(timedelta(seconds=10)) == 0.0
    assert hours(timedelta(days=2, minutes=1)) == 48.02
    assert hours(None) is None


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-7"), (7, "0-7"), (8, "8-30"), (31, "31+")])
def test_backorders_age_in_buckets(days: int, bucket: str) -> None:
    assert age_bucket(days) == bucket
