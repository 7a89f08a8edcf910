"""Yearly numbers: their format and the shape of a counter table (the SQL runs in integration)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from servicekit.numbering import format_yearly_number, next_in_year, yearly_counter_table


@pytest.mark.parametrize(
    ("prefix", "year", "sequence", "number"),
    [
        ("INV", 2025, 1, "INV-2025-000001"),
        ("SO", 2026, 4711, "SO-2026-004711"),
        ("QT", 2027, 1234567, "QT-2027-1234567"),  # more than six digits still fit
        ("SO", 1, 1, "SO-0001-000001"),
    ],
)
def test_format(prefix: str, year: int, sequence: int, number: str) -> None:
    assert format_yearly_number(prefix, year, sequence) == number


@pytest.mark.parametrize(("year", "sequence"), [(2026, 0), (2026, -1), (0, 1), (10000, 1)])
def test_out_of_range_parts_are_refused(year: int, sequence: int) -> None:
    # Both services' own messages are kept: "start at 1" (billing), "range|positive" (orders).
    with pytest.raises(ValueError, match=r"range|positive.*start at 1"):
        format_yearly_number("SO", year, sequence)


def test_counter_table_shape() -> None:
    table = yearly_counter_table("quote_number_counters", MetaData())
    assert [c.name for c in table.columns] == ["year", "last_value"]
    assert [c.name for c in table.primary_key] == ["year"]
    named = yearly_counter_table("invoice_number_counters", MetaData(), value_column="last_number")
    assert [c.name for c in named.columns] == ["year", "last_number"]


async def test_a_table_that_is_not_a_counter_is_refused_before_any_sql() -> None:
    metadata = MetaData()
    two_values = Table(
        "wrong",
        metadata,
        Column("year", Integer, primary_key=True),
        Column("a", Integer),
        Column("b", Integer),
    )
    no_year = Table("nope", metadata, Column("id", String, primary_key=True), Column("n", Integer))
    for table in (two_values, no_year):
        with pytest.raises(ValueError, match="not a yearly counter"):
            await next_in_year(None, table, 2026)  # type: ignore[arg-type]
