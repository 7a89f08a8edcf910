"""Yearly counters on a real PostgreSQL server: gapless under rollback and concurrency, or
taken at once without queueing, several callers by one statement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.db import make_engine, make_numbering_engine, make_sessionmaker
from servicekit.numbering import (
    next_in_year,
    next_in_year_at_once,
    numbers_in_year_at_once,
    yearly_counter_table,
)
from servicekit.testing import TemporaryDatabases


class Refused(Exception):
    pass


@dataclass
class Counters:
    engine: AsyncEngine
    numbering: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    quotes: Table
    invoices: Table

    async def take(self, table: Table, year: int) -> int:
        async with self.sessionmaker() as session, session.begin():
            return await next_in_year(session, table, year)


@pytest.fixture
async def counters(databases: TemporaryDatabases) -> AsyncIterator[Counters]:
    metadata = MetaData()
    quotes = yearly_counter_table("quote_number_counters", metadata)
    # Declared by hand, as billing's is, with another name for the value column.
    invoices = Table(
        "invoice_number_counters",
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("last_number", Integer, nullable=False),
    )
    url = await databases.create("numbering")
    engine, numbering = make_engine(url), make_numbering_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Counters(
        engine, numbering, make_sessionmaker(engine, numbering=numbering), quotes, invoices
    )
    await engine.dispose()
    await numbering.dispose()


async def test_numbers_count_up_per_year_and_table(counters: Counters) -> None:
    assert [await counters.take(counters.quotes, 2026) for _ in range(3)] == [1, 2, 3]
    assert await counters.take(counters.quotes, 2027) == 1
    assert await counters.take(counters.invoices, 2026) == 1
    assert await counters.take(counters.quotes, 2026) == 4


async def test_a_rollback_gives_the_number_back(counters: Counters) -> None:
    assert await counters.take(counters.invoices, 2026) == 1

    async def number_then_fail() -> None:
        async with counters.sessionmaker() as session, session.begin():
            assert await next_in_year(session, counters.invoices, 2026) == 2
            raise Refused  # what it numbered was refused: the transaction rolls back

    with pytest.raises(Refused):
        await number_then_fail()
    assert await counters.take(counters.invoices, 2026) == 2


async def test_a_concurrent_issuer_waits_and_gets_the_released_number(counters: Counters) -> None:
    assert await counters.take(counters.quotes, 2026) == 1
    async with counters.sessionmaker() as first:
        await first.begin()
        assert await next_in_year(first, counters.quotes, 2026) == 2
        second = asyncio.create_task(counters.take(counters.quotes, 2026))
        await asyncio.sleep(0.5)
        assert not second.done()  # queued behind the year's row lock
        await first.rollback()
        assert await asyncio.wait_for(second, 10) == 2  # no gap: it takes the released number
    assert await counters.take(counters.quotes, 2026) == 3


async def test_a_number_taken_at_once_makes_nobody_wait_and_is_not_given_back(
    counters: Counters,
) -> None:
    async with counters.sessionmaker() as first:
        await first.begin()
        assert await next_in_year_at_once(first, counters.quotes, 2026) == 1
        # Another issuer, gapless or not, does not wait for the first transaction to end.
        assert await asyncio.wait_for(counters.take(counters.quotes, 2026), 5) == 2
        async with counters.sessionmaker() as second, second.begin():
            assert (
                await asyncio.wait_for(next_in_year_at_once(second, counters.quotes, 2026), 5) == 3
            )
        await first.rollback()
    assert await counters.take(counters.quotes, 2026) == 4  # 1 stays taken: a gap


async def test_a_session_without_a_numbering_engine_cannot_take_a_number_at_once(
    counters: Counters,
) -> None:
    async with make_sessionmaker(counters.engine)() as session, session.begin():
        with pytest.raises(RuntimeError, match="no numbering engine"):
            await next_in_year_at_once(session, counters.quotes, 2026)


def count_statements(engine: AsyncEngine) -> list[str]:
    """The statements `engine` sends from now on (a listener on its connections' cursors)."""
    sent: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: sent.append(statement),
    )
    return sent


async def test_numbers_asked_together_are_taken_by_one_statement_in_the_order_asked(
    counters: Counters,
) -> None:
    assert await counters.take(counters.quotes, 2026) == 1
    sent = count_statements(counters.numbering)
    async with counters.sessionmaker() as session:
        numbers = await asyncio.gather(
            *(next_in_year_at_once(session, counters.quotes, 2026) for _ in range(20))
        )
    assert numbers == list(range(2, 22))
    assert len(sent) == 1  # all twenty asked before the first statement was sent
    assert await counters.take(counters.quotes, 2026) == 22


async def test_a_caller_asking_for_several_numbers_gets_consecutive_ones_in_its_turn(
    counters: Counters,
) -> None:
    assert await counters.take(counters.quotes, 2026) == 1
    sent = count_statements(counters.numbering)
    async with counters.sessionmaker() as session:
        three, one, two = await asyncio.gather(
            numbers_in_year_at_once(session, counters.quotes, 2026, 3),
            next_in_year_at_once(session, counters.quotes, 2026),
            numbers_in_year_at_once(session, counters.quotes, 2026, 2),
        )
        assert (three, one, two) == (range(2, 5), 5, range(6, 8))
        assert len(sent) == 1
        with pytest.raises(ValueError, match="at least 1"):
            await numbers_in_year_at_once(session, counters.quotes, 2026, 0)
    assert await counters.take(counters.quotes, 2026) == 8


async def test_callers_asking_while_a_statement_is_on_its_way_are_served_by_the_next(
    counters: Counters,
) -> None:
    sent = count_statements(counters.numbering)
    async with counters.sessionmaker() as holder, counters.sessionmaker() as asker:
        await holder.begin()
        assert await next_in_year(holder, counters.quotes, 2026) == 1  # the year's row locked
        first = asyncio.create_task(next_in_year_at_once(asker, counters.quotes, 2026))
        await asyncio.sleep(0.3)  # its statement waits for the row
        assert not first.done()
        later = [
            asyncio.create_task(next_in_year_at_once(asker, counters.quotes, 2026))
            for _ in range(4)
        ]
        await asyncio.sleep(0.1)
        later[1].cancel()  # gone before its number was taken: no gap for it
        await holder.rollback()  # the held number is given back
        assert await asyncio.wait_for(first, 10) == 1
        assert [await asyncio.wait_for(later[i], 10) for i in (0, 2, 3)] == [2, 3, 4]
    assert len(sent) == 2
    assert await counters.take(counters.quotes, 2026) == 5


async def test_a_failed_statement_fails_each_of_its_callers_and_the_next_are_served(
    counters: Counters,
) -> None:
    never_created = yearly_counter_table("order_number_counters", MetaData())
    async with counters.sessionmaker() as session:
        failed = await asyncio.gather(
            *(next_in_year_at_once(session, never_created, 2026) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(error, ProgrammingError) for error in failed), failed
        assert await next_in_year_at_once(session, counters.quotes, 2026) == 1
        assert await next_in_year_at_once(session, counters.quotes, 2026) == 2
