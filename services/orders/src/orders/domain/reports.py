"""The figures of the sales reports, as this service defines them (see the README's Reports).

Pure Python: cycle times in hours and ageing buckets of backorders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class SalesBy(StrEnum):
    PERIOD = "period"  # the month of the order date
    OWNER = "owner"
    CUSTOMER = "customer"
    PRODUCT = "product"  # SKU, from the order lines


@dataclass(frozen=True)
class ReportFilters:
    date_from: object | None = None  # on the order date
    date_to: object | None = None
    owner: str | None = None
    team: str | None = None
    customer_id: str | None = None
    sku: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class CycleTime:
    """One step of the cycle time report: how many orders made it, and the nearest-rank p50
    and p90 of how long it took them (None without any)."""

    step: str
    orders: int
    p50: timedelta | None
    p90: timedelta | None


def hours(duration: timedelta | None) -> float | None:
    """A duration in hours, to the hundredth."""
    return None if duration is None else round(duration.total_seconds() / 3600, 2)


AGE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, None, "31+"))


def age_bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]
