"""Human order numbers: `SO-<year>-<sequence, at least 6 digits>`, gapless per year."""

from __future__ import annotations

import re

PREFIX = "SO"
_PATTERN = re.compile(rf"^{PREFIX}-(\d{{4}})-(\d{{6,}})$")


def format_order_number(year: int, sequence: int) -> str:
    """`format_order_number(2026, 42)` → `SO-2026-000042`."""
    if not 1 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if sequence < 1:
        raise ValueError(f"sequence must be positive: {sequence}")
    return f"{PREFIX}-{year:04d}-{sequence:06d}"


def parse_order_number(number: str) -> tuple[int, int]:
    """The (year, sequence) of an order number; ValueError if it is not one."""
    match = _PATTERN.match(number)
    if match is None:
        raise ValueError(f"not an order number: {number!r}")
    return int(match.group(1)), int(match.group(2))
