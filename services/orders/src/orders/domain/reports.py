"""The figures of the sales reports, as this service defines them (see the README's Reports).

Pure Python: percentiles of cycle times and ageing buckets of backorders.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of the values, None without any."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(share * len(ordered)), 1)
    return ordered[rank - 1]


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds() / 3600, 2)


AGE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, None, "31+"))


def age_bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]
