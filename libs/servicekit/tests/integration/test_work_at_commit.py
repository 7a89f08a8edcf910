"""Work deferred to a transaction's commit, on a real PostgreSQL server: done once per key,
right before the commit, forgotten with a rollback, and a commit that skipped it refused."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.db import make_engine, make_sessionmaker
from servicekit.testing import TemporaryDatabases
from servicekit.unit_of_work import defer_to_commit, run_at_commit, transaction_memo

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(100), nullable=False),
)


class Undone(Exception):
    pass


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def texts(self) -> list[str]:
        async with self.sessionmaker() as session:
            return list(
                (await session.execute(select(notes.c.text).order_by(notes.c.id))).scalars()
            )


@pytest.fixture
async def database(databases: TemporaryDatabases) -> AsyncIterator[Database]:
    engine = make_engine(await databases.create("at_commit"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Database(engine, make_sessionmaker(engine))
    await engine.dispose()


def note_at_commit(session: AsyncSession, key: str, text: str) -> None:
    """Defer writing a note that counts the notes the transaction holds by then."""

    async def write() -> None:
        count = (await session.execute(select(func.count()).select_from(notes))).scalar_one()
        await session.execute(insert(notes).values(text=f"{text} after {count}"))

    defer_to_commit(session, key, write)


async def test_deferred_work_runs_once_per_key_after_the_rest_in_key_order(
    database: Database,
) -> None:
    async with database.sessionmaker() as session, session.begin():
        note_at_commit(session, "b", "b")
        note_at_commit(session, "a", "a")
        note_at_commit(session, "b", "b again")  # the first registration of a key wins
        await session.execute(insert(notes).values(text="plain"))
        await run_at_commit(session)
    assert await database.texts() == ["plain", "a after 1", "b after 2"]


async def test_a_commit_that_skipped_the_deferred_work_is_refused_and_rolled_back(
    database: Database,
) -> None:
    async def commit_without_running_it() -> None:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(insert(notes).values(text="lost with the refusal"))
            note_at_commit(session, "a", "never")

    with pytest.raises(RuntimeError, match="run_at_commit was not called"):
        await commit_without_running_it()
    assert await database.texts() == []


async def test_releasing_a_savepoint_keeps_the_work_for_the_commit(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        async with session.begin_nested():
            note_at_commit(session, "a", "deferred in a savepoint")
        with contextlib.suppress(Undone):
            async with session.begin_nested():
                note_at_commit(session, "b", "deferred in a savepoint undone")
                raise Undone
        await run_at_commit(session)
    # The work reads what the transaction commits: a savepoint rolled back does not cancel it.
    assert await database.texts() == [
        "deferred in a savepoint after 0",
        "deferred in a savepoint undone after 1",
    ]


async def test_a_rollback_forgets_the_deferred_work(database: Database) -> None:
    async with database.sessionmaker() as session:
        async with session.begin():
            note_at_commit(session, "a", "rolled back")
            await session.rollback()
        async with session.begin():  # the same session's next transaction
            await session.execute(insert(notes).values(text="next"))
    assert await database.texts() == ["next"]


async def test_a_memo_lasts_as_long_as_its_transaction(database: Database) -> None:
    async with database.sessionmaker() as session:
        async with session.begin():
            transaction_memo(session, "kinds")["a"] = 1
            assert transaction_memo(session, "kinds") == {"a": 1}  # the same, asked again
            assert transaction_memo(session, "other") == {}
            async with session.begin_nested():
                transaction_memo(session, "kinds")["b"] = 2
            assert transaction_memo(session, "kinds") == {"a": 1, "b": 2}  # released: kept
            with contextlib.suppress(Undone):
                async with session.begin_nested():
                    await session.execute(insert(notes).values(text="undone"))
                    raise Undone
            assert transaction_memo(session, "kinds") == {}  # a savepoint rolled back
            transaction_memo(session, "kinds")["c"] = 3
        async with session.begin():
            assert transaction_memo(session, "kinds") == {}  # the next transaction's own
            transaction_memo(session, "kinds")["d"] = 4
            await session.rollback()
        assert transaction_memo(session, "kinds") == {}
