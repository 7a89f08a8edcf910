"""Yearly numbers (`INV-2026-000042`, `SO-2026-000042`): one counter row per year.

Two ways to take one (ADR 32):
- `next_in_year`, gapless: the year's row is upserted in the caller's transaction and stays
  locked until it ends. Concurrent issuers queue behind it, and a rolled-back transaction gives
  its number back, so the numbers of a year have no gaps (invoices and credit notes, which the
  law wants gapless). Take it as late as possible: the lock serialises issuers until commit.
- `next_in_year_at_once`: the row is upserted and committed at once on a connection of its own
  (`servicekit.db.make_numbering_engine`): nobody queues, and a transaction that rolls back
  afterwards leaves a gap (sales orders and quotes, as in most ERPs).

    invoice_counters = yearly_counter_table("invoice_number_counters", metadata)
    sequence = await next_in_year(session, invoice_counters, today.year)
    number = format_yearly_number("INV", today.year, sequence)
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, Table, bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from servicekit.db import NUMBERING_ENGINE_INFO

# The pure formatter lives in `servicekit.numbers` (domains import it from there).
from servicekit.numbers import format_yearly_number

__all__ = [
    "YEAR",
    "format_yearly_number",
    "next_in_year",
    "next_in_year_at_once",
    "yearly_counter_table",
]

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
    statement = _take_next(counters)  # a table that is no counter is refused first
    number: int = (await session.execute(statement, {YEAR: year})).scalar_one()
    return number


async def next_in_year_at_once(session: AsyncSession, counters: Table, year: int) -> int:
    """The next number of `year`, taken and committed at once outside the session's
    transaction, on the numbering engine of the session's maker
    (`servicekit.db.make_sessionmaker(numbering=…)`).

    The year's row is locked for that one statement only, so concurrent issuers do not queue
    until the caller's commit; a number whose transaction then rolls back is not given back.
    """
    statement = _take_next(counters)
    engine = session.info.get(NUMBERING_ENGINE_INFO)
    if not isinstance(engine, AsyncEngine):
        raise RuntimeError("this session's maker has no numbering engine (make_sessionmaker)")
    async with engine.connect() as connection:
        number: int = (await connection.execute(statement, {YEAR: year})).scalar_one()
    return number


@cache  # built once per table: building it for every number cost more than sending it
def _take_next(counters: Table) -> ReturningInsert[int]:
    """Upsert the year's row (the `year` parameter): 1 for its first number, else one more
    than its last."""
    last = _value_column(counters)
    return (
        insert(counters)
        .values({YEAR: bindparam(YEAR, type_=Integer), last.name: 1})
        .on_conflict_do_update(index_elements=[counters.c[YEAR]], set_={last.name: last + 1})
        .returning(last)
    )
