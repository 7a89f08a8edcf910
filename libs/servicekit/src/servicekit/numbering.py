"""Yearly numbers (`INV-2026-000042`, `SO-2026-000042`): one counter row per year.

Two ways to take one (ADR 32):
- `next_in_year`, gapless: the year's row is upserted in the caller's transaction and stays
  locked until it ends. Concurrent issuers queue behind it, and a rolled-back transaction gives
  its number back, so the numbers of a year have no gaps (invoices and credit notes, which the
  law wants gapless). Take it as late as possible: the lock serialises issuers until commit.
- `next_in_year_at_once`: the row is upserted and committed at once on a connection of its own
  (`servicekit.db.make_numbering_engine`): nobody queues, and a transaction that rolls back
  afterwards leaves a gap (sales orders and quotes, as in most ERPs). Callers that ask while
  the same year's statement is on its way are served together by the next one, which takes as
  many numbers as they are (in the order they asked): under load a create does not pay a
  statement and a commit of its own for its number. `numbers_in_year_at_once` takes several
  for one caller (a consumer's batch creating orders one after the other, which would
  otherwise ask one at a time).

    invoice_counters = yearly_counter_table("invoice_number_counters", metadata)
    sequence = await next_in_year(session, invoice_counters, today.year)
    number = format_yearly_number("INV", today.year, sequence)
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
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
    "numbers_in_year_at_once",
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
    number: int = (await session.execute(statement, {YEAR: year, _COUNT: 1})).scalar_one()
    return number


async def next_in_year_at_once(session: AsyncSession, counters: Table, year: int) -> int:
    """The next number of `year`, taken and committed at once outside the session's
    transaction, on the numbering engine of the session's maker
    (`servicekit.db.make_sessionmaker(numbering=…)`).

    The year's row is locked for that one statement only, so concurrent issuers do not queue
    until the caller's commit; a number whose transaction then rolls back is not given back.
    Callers of one process asking while that year's statement is on its way are served by the
    next statement together (module doc).
    """
    return (await numbers_in_year_at_once(session, counters, year, 1))[0]


async def numbers_in_year_at_once(
    session: AsyncSession, counters: Table, year: int, count: int
) -> range:
    """The next `count` numbers of `year`, consecutive, taken as `next_in_year_at_once` takes
    one (with those of other callers asking meanwhile, in one statement)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    _take_next(counters)  # a table that is no counter is refused before anything is taken
    engine = session.info.get(NUMBERING_ENGINE_INFO)
    if not isinstance(engine, AsyncEngine):
        raise RuntimeError("this session's maker has no numbering engine (make_sessionmaker)")
    first = await _takers_of(engine).take(engine, counters, year, count)
    return range(first, first + count)


_COUNT = "count"


@dataclass(eq=False)
class _Takers:
    """The numbers being taken at once on one numbering engine, in one event loop: per counter
    and year, the callers waiting (each with how many numbers it wants, its future answered
    with the first) and the task whose statement is on its way for them. (It holds no
    reference to the engine: it is the engine's value in a weak mapping.)"""

    loop: asyncio.AbstractEventLoop
    waiting: dict[tuple[Table, int], list[tuple[asyncio.Future[int], int]]] = field(
        default_factory=dict
    )
    tasks: dict[tuple[Table, int], asyncio.Task[None]] = field(default_factory=dict)

    async def take(self, engine: AsyncEngine, counters: Table, year: int, count: int) -> int:
        key = (counters, year)
        number: asyncio.Future[int] = self.loop.create_future()
        self.waiting.setdefault(key, []).append((number, count))
        if key not in self.tasks:
            # A task of its own: a caller cancelled while it waits cuts no statement short.
            self.tasks[key] = self.loop.create_task(self._serve(engine, key))
        return await number

    async def _serve(self, engine: AsyncEngine, key: tuple[Table, int]) -> None:
        """Take numbers for whoever waits, one statement per round, until nobody does."""
        counters, year = key
        callers: list[tuple[asyncio.Future[int], int]] = []
        try:
            while callers := [(f, n) for f, n in self.waiting.pop(key, []) if not f.done()]:
                wanted = sum(count for _, count in callers)
                try:
                    async with engine.connect() as connection:
                        result = await connection.execute(
                            _take_next(counters), {YEAR: year, _COUNT: wanted}
                        )
                        last: int = result.scalar_one()
                except Exception as error:  # each caller gets it, as it would alone
                    for caller, _ in callers:
                        if not caller.done():
                            caller.set_exception(error)
                    continue
                first = last - wanted + 1
                for caller, count in callers:
                    if not caller.done():  # one cancelled since: its numbers are a gap
                        caller.set_result(first)
                    first += count
        finally:
            del self.tasks[key]
            # Cancelled itself (its loop is closing): nobody waits for a number that won't come.
            for caller, _ in callers + self.waiting.pop(key, []):
                caller.cancel()


_takers: weakref.WeakKeyDictionary[AsyncEngine, _Takers] = weakref.WeakKeyDictionary()


def _takers_of(engine: AsyncEngine) -> _Takers:
    loop = asyncio.get_running_loop()
    takers = _takers.get(engine)
    if takers is None or takers.loop is not loop:  # an engine used again in a later loop
        takers = _takers[engine] = _Takers(loop)
    return takers


@cache  # built once per table: building it for every number cost more than sending it
def _take_next(counters: Table) -> ReturningInsert[int]:
    """Upsert the year's row (the `year` parameter) for `count` numbers: `count` for its first,
    else its last plus `count`; returns the last of them."""
    last = _value_column(counters)
    upsert = insert(counters).values(
        {YEAR: bindparam(YEAR, type_=Integer), last.name: bindparam(_COUNT, type_=Integer)}
    )
    return upsert.on_conflict_do_update(
        index_elements=[counters.c[YEAR]], set_={last.name: last + upsert.excluded[last.name]}
    ).returning(last)
