"""NOTIFY at commit: one statement per channel and transaction, and a savepoint rolled back
does not swallow the wake-up of the transaction around it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from servicekit.db import make_engine, make_sessionmaker
from servicekit.notify import Listener, insert_and_notify, notify
from servicekit.testing import TemporaryDatabases, eventually

CHANNEL = "work_to_do"


@pytest.fixture
async def engine(databases: TemporaryDatabases) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await databases.create("notify"), pool_size=2)
    yield engine
    await engine.dispose()


@contextmanager
def notifies_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "pg_notify" in statement:
            sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def listening(engine: AsyncEngine) -> tuple[Listener, list[int]]:
    woken: list[int] = []
    listener = Listener(
        engine.url.render_as_string(hide_password=False), CHANNEL, lambda: woken.append(1)
    )
    await listener.ensure()
    return listener, woken


def woken_times(woken: list[int], times: int) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return len(woken) == times

    return probe


async def test_one_notify_per_channel_and_transaction(engine: AsyncEngine) -> None:
    listener, woken = await listening(engine)
    try:
        with notifies_sent(engine) as sent:
            async with make_sessionmaker(engine)() as session, session.begin():
                for _ in range(3):
                    await notify(session, CHANNEL)
                await notify(session, "other_work")
            async with make_sessionmaker(engine)() as session, session.begin():
                await notify(session, CHANNEL)  # a new transaction sends its own
        assert len(sent) == 3
        await eventually(woken_times(woken, 2))
    finally:
        await listener.close()


async def test_a_rolled_back_savepoint_does_not_swallow_the_outer_notify(
    engine: AsyncEngine,
) -> None:
    listener, woken = await listening(engine)
    try:
        with notifies_sent(engine) as sent:
            async with make_sessionmaker(engine)() as session, session.begin():
                await _notify_in_a_savepoint_rolled_back(session)
                await notify(session, CHANNEL)
        assert len(sent) == 2
        await eventually(woken_times(woken, 1))
    finally:
        await listener.close()


async def _notify_in_a_savepoint_rolled_back(session: AsyncSession) -> None:
    savepoint = await session.begin_nested()
    await notify(session, CHANNEL)
    await savepoint.rollback()


async def test_an_insert_carries_the_first_notify_of_its_transaction(engine: AsyncEngine) -> None:
    work = Table("work", MetaData(), Column("id", Integer, primary_key=True))
    add_work = work.insert().values(id=bindparam("new_id"))
    async with engine.begin() as connection:
        await connection.run_sync(work.metadata.create_all)
    listener, woken = await listening(engine)
    try:
        with notifies_sent(engine) as sent:
            async with make_sessionmaker(engine)() as session, session.begin():
                for row_id in (1, 2, 3):
                    await insert_and_notify(session, add_work, {"new_id": row_id}, CHANNEL)
                await notify(session, CHANNEL)  # already sent with the first insert
            with contextlib.suppress(IntegrityError):
                async with make_sessionmaker(engine)() as session, session.begin():
                    await insert_and_notify(session, add_work, {"new_id": 4}, CHANNEL)
                    await insert_and_notify(session, add_work, {"new_id": 1}, CHANNEL)
        assert ["WITH" in statement for statement in sent] == [True, True]
        async with engine.connect() as connection:
            rows = await connection.execute(select(work.c.id).order_by(work.c.id))
            assert rows.scalars().all() == [1, 2, 3]  # the rolled back insert left nothing
        await eventually(woken_times(woken, 1))  # and woke nobody
        await asyncio.sleep(0.2)
        assert len(woken) == 1
    finally:
        await listener.close()
