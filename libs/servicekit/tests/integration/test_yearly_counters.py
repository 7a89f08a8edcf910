"""Yearly counters on a real PostgreSQL server: gapless under rollback and concurrency, or
taken at once without queueing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.db import make_engine, make_numbering_engine, make_sessionmaker
from servicekit.numbering import next_in_year, next_in_year_at_once, yearly_counter_table
from servicekit.testing import TemporaryDatabases


class Refused(Exception):
    pass


@dataclass
class Counters:
    engine: AsyncEngine
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
    yield Counters(engine, make_sessionmaker(engine, numbering=numbering), quotes, invoices)
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
