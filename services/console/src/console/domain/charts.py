"""Bar lengths for the charts the pages draw (as SVG, no script): each bar is its value's share
of the largest value in the same currency, so amounts in different currencies are never
compared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def bar_widths(rows: Iterable[Mapping[str, Any]], value: str = "gross") -> list[Decimal]:
    """Per row, 0-100: `row[value]` over the largest in the row's currency (0 when unknown)."""
    listed = list(rows)
    amounts = [_decimal(row.get(value)) for row in listed]
    largest: dict[str, Decimal] = {}
    for row, amount in zip(listed, amounts, strict=True):
        currency = str(row.get("currency", ""))
        largest[currency] = max(largest.get(currency, Decimal(0)), amount)
    return [
        (amount * 100 / top).quantize(Decimal("0.1"))
        if (top := largest[str(row.get("currency", ""))]) > 0
        else Decimal(0)
        for row, amount in zip(listed, amounts, strict=True)
    ]


def _decimal(value: Any) -> Decimal:
    try:
        return max(Decimal(str(value)), Decimal(0))
    except (InvalidOperation, ValueError):
        return Decimal(0)
