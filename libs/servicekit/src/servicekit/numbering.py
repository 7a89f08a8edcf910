"""Gapless yearly numbers (`INV-2026-000042`, `SO-2026-000042`): one counter row per year.

Taking a number upserts the year's row, which holds its row lock until the transaction ends:
concurrent issuers queue behind it, and a rolled-back transaction gives its number back, so the
numbers of a year have no gaps. Take the number in the same transaction that stores what it
numbers, as late as possible (the lock serialises issuers until commit).

    invoice_counters = yearly_counter_table("invoice_number_counters", metadata)
    sequence = await next_in_year(session, invoice_counters, today.year)
    number = format_yearly_number("INV", today.year, sequence)
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

# The pure formatter lives in `servicekit.numbers` (domains import it from there).
from servicekit.numbers import format_yearly_number

__all__ = ["YEAR", "format_yearly_number", "next_in_year", "yearly_counter_table"]

YEAR = "year"


def yearly_counter_table(
    name: str, metadata: MetaData, *, value_column: str = "last_value"
) -> Table:
    """A counter table: `year` (primary key) and the last number issued in it."""
    return Table(
        name,
        metadata,
        Column(YEAR, Integer, primary_key=True, autoincrement=False),
        Column(value_column, Integer, nullable=False),
        CheckConstraint(f"{value_column} >= 1", name="positive"),
    )


def _value_column(counters: Table) -> Column[int]:
    others = [column for column in counters.columns if column.name != YEAR]
    if YEAR not in counters.columns or len(others) != 1:
        raise ValueError(
            f"{counters.name} is not a yearly counter: want `year` and one value column"
        )
    column: Column[int] = others[0]
    return column


async def next_in_year(session: AsyncSession, counters: Table, year: int) -> int:
    """The next number of `year` (1 for its first), taken in the session's transaction.

    `counters` has a `year` primary key and one integer column holding the last number (its
    name is free: billing's says `last_number`, orders' `last_value`).
    """
    last = _value_column(counters)
    statement = (
        insert(counters)
        .values({YEAR: year, last.name: 1})
        .on_conflict_do_update(index_elements=[counters.c[YEAR]], set_={last.name: last + 1})
        .returning(last)
    )
    number: int = (await session.execute(statement)).scalar_one()
    return number
