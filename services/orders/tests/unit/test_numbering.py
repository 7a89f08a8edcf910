"""Human order numbers."""

from __future__ import annotations

import pytest

from orders.domain.numbering import format_order_number, parse_order_number


@pytest.mark.parametrize(
    ("year", "sequence", "number"),
    [
        (2026, 1, "SO-2026-000001"),
        (2026, 42, "SO-2026-000042"),
        (2027, 999999, "SO-2027-999999"),
        (2027, 1234567, "SO-2027-1234567"),  # a seven-digit year still gets its numbers
    ],
)
def test_format_and_parse(year: int, sequence: int, number: str) -> None:
    assert format_order_number(year, sequence) == number
    assert parse_order_number(number) == (year, sequence)


@pytest.mark.parametrize(("year", "sequence"), [(2026, 0), (2026, -1), (0, 1), (10000, 1)])
def test_out_of_range_parts_are_refused(year: int, sequence: int) -> None:
    with pytest.raises(ValueError, match=r"range|positive"):
        format_order_number(year, sequence)


@pytest.mark.parametrize(
    "text", ["SO-2026-42", "so-2026-000042", "SO-26-000042", "INV-2026-000001"]
)
def test_parse_refuses_other_strings(text: str) -> None:
    with pytest.raises(ValueError, match="not an order number"):
        parse_order_number(text)
