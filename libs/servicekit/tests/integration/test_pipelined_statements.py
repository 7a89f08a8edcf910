"""Statements queued in a pipelining transaction (`servicekit.direct.pipeline`): sent together,
in the order asked, before anything else runs and before the commit; never after a rollback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    Column,
    MetaData,
    Numeric,
    Row,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.db import make_engine, make_sessionmaker
from servicekit.direct import execute_one_later, pipeline
from servicekit.testing import TemporaryDatabases, exchanges_sent
from servicekit.unit_of_work import run_at_commit

metadata = MetaData()
accounts = Table(
    "accounts",
    metadata,
    Column("id", String, primary_key=True),
    Column("balance", Numeric(12, 2), nullable=False),
)
OPEN = insert(accounts).values(id=bindparam("account"), balance=0).returning(accounts.c.id)
CREDIT = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"))
    .values(balance=accounts.c.balance + bindparam("amount", type_=Numeric(12, 2)))
    .returning(accounts.c.id, accounts.c.balance)
)
BALANCES = select(accounts.c.id, accounts.c.balance).order_by(accounts.c.id)
IDS = ["a", "b", "c", "d", "e"]


@pytest.fixture
async def sessions(
    databases: TemporaryDatabases,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = make_engine(await databases.create("pipelined"), pool_size=2)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        for id_ in IDS:  # each statement twice at least: a plan, and its result types learnt
            await session.execute(OPEN, {"account": id_})
            await session.execute(CREDIT, {"account": id_, "amount": Decimal("1.00")})
    yield sessions
    await engine.dispose()


@pytest.fixture
def round_trips() -> Iterator[list[int]]:
    """The statements' exchanges with the server: how many executions each carried."""
    with exchanges_sent() as sent:
        yield sent


async def balances(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Decimal]:
    async with sessions() as session:
        return {row.id: row.balance for row in await session.execute(BALANCES)}


async def queue_credits(
    session: AsyncSession, amounts: dict[str, str], rows: list[Row[Any]] | None = None
) -> list[Row[Any]]:
    """Each credit queued (or run, outside a pipeline); `rows` gets each one's row."""
    rows = [] if rows is None else rows
    for id_, amount in amounts.items():
        await execute_one_later(
            session, CREDIT, {"account": id_, "amount": Decimal(amount)}, rows.append
        )
    return rows


async def test_queued_statements_go_in_one_exchange_before_the_next_statement(
    sessions: async_sessionmaker[AsyncSession], round_trips: list[int]
) -> None:
    async with sessions() as session, session.begin():
        pipeline(session)
        rows = await queue_credits(session, {id_: "2.50" for id_ in IDS})
        assert rows == []  # nothing sent yet
        assert round_trips == []
        seen = {row.id: row.balance for row in await session.execute(BALANCES)}
        # Sent before the read, in one exchange, and each row handed over in the order asked.
        assert round_trips == [5, 1]
        assert [(row.id, row.balance) for row in rows] == [(id_, Decimal("3.50")) for id_ in IDS]
        assert seen == {id_: Decimal("3.50") for id_ in IDS}
        await run_at_commit(session)
    assert await balances(sessions) == {id_: Decimal("3.50") for id_ in IDS}


async def test_runs_of_different_statements_keep_their_order(
    sessions: async_sessionmaker[AsyncSession], round_trips: list[int]
) -> None:
    async with sessions() as session, session.begin():
        pipeline(session)
        rows: list[Row[Any]] = []
        await execute_one_later(session, OPEN, {"account": "f"}, rows.append)
        await execute_one_later(session, OPEN, {"account": "g"}, rows.append)
        # Credits "f", opened just before in the same pipeline: it sees it.
        await queue_credits(session, {"f": "4.00", "a": "1.00"}, rows)
        await run_at_commit(session)
        assert round_trips == [2, 2]
        assert [tuple(row) for row in rows] == [
            ("f",),
            ("g",),
            ("f", Decimal("4.00")),
            ("a", Decimal("2.00")),
        ]


async def in_a_pipeline(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[None]],
) -> AsyncSession:
    """`work` in a pipelining transaction, committed without a word more; the session."""
    async with sessions() as session, session.begin():
        pipeline(session)
        await work(session)
    return session


async def test_the_commit_sends_what_is_queued_only_through_run_at_commit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def queue_only(session: AsyncSession) -> None:
        await queue_credits(session, {"a": "5.00", "b": "5.00"})

    with pytest.raises(RuntimeError, match="2 statements still queued"):
        await in_a_pipeline(sessions, queue_only)
    assert await balances(sessions) == {id_: Decimal("1.00") for id_ in IDS}  # nothing half done


async def test_a_rolled_back_transaction_sends_nothing_it_queued(
    sessions: async_sessionmaker[AsyncSession], round_trips: list[int]
) -> None:
    async def queue_then_fail(session: AsyncSession) -> None:
        await queue_credits(session, {"a": "5.00"})
        raise LookupError

    with pytest.raises(LookupError):
        await in_a_pipeline(sessions, queue_then_fail)
    assert round_trips == []
    async with sessions() as session, session.begin():
        # A transaction that does not pipeline: a statement runs when asked.
        rows = await queue_credits(session, {"b": "5.00"})
        assert [(row.id, row.balance) for row in rows] == [("b", Decimal("6.00"))]
        await run_at_commit(session)
    assert (await balances(sessions))["a"] == Decimal("1.00")


async def test_a_statement_that_would_overtake_the_queue_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def read_past_the_queue(session: AsyncSession) -> None:
        await queue_credits(session, {"a": "5.00"})
        await session.scalar(select(accounts.c.balance).where(accounts.c.id == "a"))

    with pytest.raises(RuntimeError, match="would overtake 1 statements"):
        await in_a_pipeline(sessions, read_past_the_queue)
    assert (await balances(sessions))["a"] == Decimal("1.00")


async def test_an_error_in_an_exchange_is_sqlalchemys_and_the_transaction_rolls_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def open_one_twice(session: AsyncSession) -> None:
        await queue_credits(session, {"a": "5.00"})
        for id_ in ("h", "b"):  # "b" is open already: a duplicate key
            await execute_one_later(session, OPEN, {"account": id_}, lambda _: None)
        await run_at_commit(session)

    with pytest.raises(IntegrityError) as raised:
        await in_a_pipeline(sessions, open_one_twice)
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert "INSERT INTO accounts" in str(raised.value)
    assert await balances(sessions) == {id_: Decimal("1.00") for id_ in IDS}


async def test_a_connection_killed_under_a_queue_fails_as_a_disconnect(
    sessions: async_sessionmaker[AsyncSession], databases: TemporaryDatabases
) -> None:
    backend_pid = text("SELECT pg_backend_pid()")

    async def queue_then_lose_the_connection(session: AsyncSession) -> None:
        backend = (await session.execute(backend_pid)).scalar_one()
        await queue_credits(session, {"a": "5.00", "b": "5.00"})
        admin = await asyncpg.connect(databases.admin_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the event loop reads the server's goodbye
        await run_at_commit(session)

    with pytest.raises(DBAPIError) as raised:
        await in_a_pipeline(sessions, queue_then_lose_the_connection)
    assert raised.value.connection_invalidated
    assert await balances(sessions) == {id_: Decimal("1.00") for id_ in IDS}  # a new connection
