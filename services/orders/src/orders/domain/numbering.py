"""Human numbers: `SO-<year>-<sequence>` for orders, `QT-<year>-<sequence>` for quotes.

At least 6 digits, counted per year and kind (the counters live in the database). A number is
taken at once, outside the creating transaction, so creates do not queue on the counter: one
that fails afterwards leaves a gap, as in most ERPs (ADR 32; invoice numbers stay gapless).
"""

from __future__ import annotations

import re

from servicekit.numbers import format_yearly_number

PREFIX = "SO"
QUOTE_PREFIX = "QT"
_PATTERN = re.compile(r"^([A-Z]{2})-(\d{4})-(\d{6,})$")


def format_order_number(year: int, sequence: int) -> str:
    """`format_order_number(2026, 42)` → `SO-2026-000042`."""
    return format_yearly_number(PREFIX, year, sequence)


def format_quote_number(year: int, sequence: int) -> str:
    return format_yearly_number(QUOTE_PREFIX, year, sequence)


def parse_order_number(number: str, prefix: str = PREFIX) -> tuple[int, int]:
    """The (year, sequence) of an order (or, with its prefix, quote) number; ValueError if not."""
    match = _PATTERN.match(number)
    if match is None or match.group(1) != prefix:
        raise ValueError(f"not an order number: {number!r}")
    return int(match.group(2)), int(match.group(3))
