"""Wake-ups after commit: a NOTIFY per channel once the transaction commits, sent on another
connection (never inside the writer's transaction, whose commit it would serialize with every
other notifying commit of the server), none when it rolls back or before the outer commit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.db import make_engine, make_sessionmaker
from servicekit.notify import Listener, wake_after_commit, wake_in_process, wakes_sent
from servicekit.testing import TemporaryDatabases, eventually

CHANNEL = "work_to_do"
work = Table("work", MetaData(), Column("id", Integer, primary_key=True))


@pytest.fixture
async def engine(databases: TemporaryDatabases) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await databases.create("notify"), pool_size=2)
    async with engine.begin() as connection:
        await connection.run_sync(work.metadata.create_all)
    yield engine
    await wakes_sent()
    await engine.dispose()


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements sessions send through SQLAlchemy (the wake-ups go around it)."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


@contextlib.asynccontextmanager
async def listening(engine: AsyncEngine, channel: str = CHANNEL) -> AsyncIterator[list[int]]:
    """The ids of `work` a listener of `channel` saw committed each time it was woken."""
    seen: list[int] = []
    woken = asyncio.Queue[None]()
    listener = Listener(
        engine.url.render_as_string(hide_password=False), channel, lambda: woken.put_nowait(None)
    )
    await listener.ensure()

    async def look() -> None:
        while True:
            await woken.get()
            async with engine.connect() as connection:
                ids = (await connection.execute(select(work.c.id))).scalars().all()
            seen.append(len(ids))

    looking = asyncio.create_task(look())
    try:
        yield seen
    finally:
        looking.cancel()
        await listener.close()


async def test_a_commit_wakes_each_channel_once_after_it(engine: AsyncEngine) -> None:
    async with listening(engine) as seen, listening(engine, "other_work") as other:
        with statements_sent(engine) as sent:
            async with make_sessionmaker(engine)() as session, session.begin():
                await session.execute(work.insert().values(id=1))
                for _ in range(3):
                    wake_after_commit(session, CHANNEL)
                wake_after_commit(session, "other_work")
        assert not [statement for statement in sent if "pg_notify" in statement]
        await eventually(lambda: _sized(seen, 1))
        await eventually(lambda: _sized(other, 1))
        assert seen == [1]  # woken once, and the row was there to see
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(work.insert().values(id=2))
            wake_after_commit(session, CHANNEL)  # a new transaction wakes again
        await eventually(lambda: _sized(seen, 2))
        assert seen == [1, 2]
        await asyncio.sleep(0.2)
        assert other == [1]


async def test_a_rollback_wakes_nobody(engine: AsyncEngine) -> None:
    async with listening(engine) as seen:
        with contextlib.suppress(IntegrityError):
            async with make_sessionmaker(engine)() as session, session.begin():
                wake_after_commit(session, CHANNEL)
                await session.execute(work.insert().values(id=1))
                await session.execute(work.insert().values(id=1))
        async with make_sessionmaker(engine)() as session, session.begin():
            await session.execute(work.insert().values(id=2))  # the next one asks for none
        await wakes_sent()
        await asyncio.sleep(0.2)
        assert seen == []


async def test_a_savepoint_neither_wakes_early_nor_swallows_the_wake_up(
    engine: AsyncEngine,
) -> None:
    async with listening(engine) as seen:
        async with make_sessionmaker(engine)() as session, session.begin():
            async with session.begin_nested():  # released: not yet the commit
                await session.execute(work.insert().values(id=1))
                wake_after_commit(session, CHANNEL)
            savepoint = await session.begin_nested()
            wake_after_commit(session, CHANNEL)
            await savepoint.rollback()  # the transaction still commits its work
            await wakes_sent()
            await asyncio.sleep(0.2)
            assert seen == []
        await eventually(lambda: _sized(seen, 1))
        assert seen == [1]


async def test_wake_ups_asked_for_while_one_is_sent_go_together(engine: AsyncEngine) -> None:
    async with listening(engine) as seen:
        sessions = make_sessionmaker(engine)

        async def commit(row_id: int) -> None:
            async with sessions() as session, session.begin():
                await session.execute(work.insert().values(id=row_id))
                wake_after_commit(session, CHANNEL)

        await asyncio.gather(*(commit(row_id) for row_id in range(1, 21)))
        await wakes_sent()
        await eventually(lambda: _sized(seen, 1))
        await asyncio.sleep(0.2)
        assert 1 <= len(seen) < 20  # fewer NOTIFYs than commits
        assert seen[-1] == 20  # the last one after every commit


async def _sized(seen: list[int], size: int) -> bool:
    return len(seen) >= size


async def test_disposing_of_the_engine_closes_its_wake_up_connection(
    databases: TemporaryDatabases,
) -> None:
    url = await databases.create("notify_disposed")
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(work.metadata.create_all)
    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(work.insert().values(id=1))
        wake_after_commit(session, CHANNEL)
    await wakes_sent()
    database = engine.url.database
    admin = make_engine(engine.url.set(database="postgres").render_as_string(hide_password=False))

    async def connections() -> int:
        async with admin.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(literal_column("datname") == database)
            )
        return int(count or 0)

    try:
        assert await connections() >= 2  # the pool's and the wake-ups'
        await engine.dispose()
        await eventually(lambda: _none(connections))
    finally:
        await admin.dispose()


async def _none(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() == 0


async def test_a_loop_alone_in_this_process_is_woken_without_a_notify(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    woken: list[None] = []
    alone = True
    stop_waking = wake_in_process(url, CHANNEL, lambda: woken.append(None), lambda: alone)
    sessions = make_sessionmaker(engine)
    try:
        async with listening(engine) as seen, listening(engine, "other_work") as other:
            async with sessions() as session, session.begin():
                await session.execute(work.insert().values(id=1))
                wake_after_commit(session, CHANNEL)
                wake_after_commit(session, "other_work")
                assert woken == []  # not before the commit
            assert len(woken) == 1  # by the commit itself
            # The channels of one commit go in one NOTIFY: once the other one has arrived,
            # this one would have too.
            await eventually(lambda: _sized(other, 1))
            await asyncio.sleep(0.2)
            assert seen == []

            with contextlib.suppress(IntegrityError):
                async with sessions() as session, session.begin():
                    wake_after_commit(session, CHANNEL)
                    await session.execute(work.insert().values(id=1))
            assert len(woken) == 1  # a rollback wakes nobody

            alone = False  # another loop shares the work now: it must hear of it too
            async with sessions() as session, session.begin():
                await session.execute(work.insert().values(id=2))
                wake_after_commit(session, CHANNEL)
            await eventually(lambda: _sized(seen, 1))
            assert seen == [2]
            assert len(woken) == 1

            alone = True
            stop_waking()  # the loop stopped: NOTIFY again
            async with sessions() as session, session.begin():
                await session.execute(work.insert().values(id=3))
                wake_after_commit(session, CHANNEL)
            await eventually(lambda: _sized(seen, 2))
            assert seen == [2, 3]
            assert len(woken) == 1
    finally:
        stop_waking()


async def test_a_loop_on_another_event_loop_is_not_woken_in_its_place(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    woken: list[None] = []

    async def register() -> Callable[[], None]:
        return wake_in_process(url, CHANNEL, lambda: woken.append(None), lambda: True)

    # Registered on an event loop of its own (a test's, since finished): never woken from here.
    stop_waking = await asyncio.to_thread(asyncio.run, register())
    try:
        async with listening(engine) as seen:
            async with make_sessionmaker(engine)() as session, session.begin():
                await session.execute(work.insert().values(id=1))
                wake_after_commit(session, CHANNEL)
            await eventually(lambda: _sized(seen, 1))
        assert woken == []
    finally:
        stop_waking()
