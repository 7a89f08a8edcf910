"""Events recorded through the unit of work are numbered per subject on a real PostgreSQL
server: 1, 2, 3... per key, no gaps under rollback, in commit order under concurrency."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderCancelled
from servicekit.db import make_engine, make_sessionmaker, new_metadata
from servicekit.sequencing import add_event_sequences_table
from servicekit.testing import TemporaryDatabases
from servicekit.unit_of_work import SqlUnitOfWorkBase


class Refused(Exception):
    pass


def cancelled(order_id: str, reason: str = "test") -> CloudEvent[Any]:
    payload = OrderCancelled(
        order_id=order_id, number="SO-1", reason=reason, previous_status="open"
    )
    return new_event(EventType.ORDER_CANCELLED, payload, source="/tests", subject=order_id)


@dataclass
class Outbox:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    metadata: MetaData

    async def record(self, order_id: str) -> None:
        async with self.sessionmaker() as session, session.begin():
            await SqlUnitOfWorkBase(session, self.metadata).record(cancelled(order_id))

    async def payloads(self, order_id: str) -> list[str]:
        outbox = self.metadata.tables["outbox"]
        async with self.sessionmaker() as session:
            rows = await session.execute(
                select(outbox.c.payload).where(outbox.c.key == order_id).order_by(outbox.c.id)
            )
            return list(rows.scalars())

    async def sequences(self, order_id: str) -> list[int | None]:
        return [json.loads(payload)["sequence"] for payload in await self.payloads(order_id)]


@pytest.fixture
async def outbox(databases: TemporaryDatabases) -> AsyncIterator[Outbox]:
    metadata = new_metadata()
    add_event_sequences_table(metadata)
    engine = make_engine(await databases.create("sequences"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield Outbox(engine, make_sessionmaker(engine), metadata)
    await engine.dispose()


async def test_each_subject_counts_its_own_events(outbox: Outbox) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    for order_id in (first, first, second, first):
        await outbox.record(order_id)
    assert await outbox.sequences(first) == [1, 2, 3]
    assert await outbox.sequences(second) == [1]


async def test_an_event_is_numbered_by_the_statement_that_writes_it(outbox: Outbox) -> None:
    order_id = str(uuid.uuid4())
    await outbox.record(order_id)
    # Strings that look like the attribute, in the envelope's attributes and in its data.
    tricky = cancelled(order_id, reason='"sequence":null, {"sequence":null}')
    tricky = tricky.model_copy(update={"causationid": '"sequence":null'})
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(outbox.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with outbox.sessionmaker() as session, session.begin():
            await SqlUnitOfWorkBase(session, outbox.metadata).record(tricky)
    finally:
        event.remove(outbox.engine.sync_engine, "before_cursor_execute", count)

    assert len([sql for sql in sent if "event_sequences" in sql]) == 1
    assert all("outbox" in sql for sql in sent if "event_sequences" in sql)
    # The bytes are those of the event dumped with its number, its data untouched.
    numbered = tricky.model_copy(update={"sequence": 2}).model_dump_json()
    assert (await outbox.payloads(order_id))[1] == numbered


async def test_events_recorded_together_are_numbered_each_by_its_key(outbox: Outbox) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await outbox.record(first)
    given = cancelled(second).model_copy(update={"sequence": 7})  # numbered by its producer
    events = [cancelled(first), cancelled(second), given, cancelled(first, reason="again")]
    async with outbox.sessionmaker() as session, session.begin():
        await SqlUnitOfWorkBase(session, outbox.metadata).record_all(events)
        await SqlUnitOfWorkBase(session, outbox.metadata).record_all([])

    assert await outbox.sequences(first) == [1, 2, 3]
    assert [json.loads(p)["data"]["reason"] for p in await outbox.payloads(first)][-1] == "again"
    assert await outbox.sequences(second) == [7, 1]  # the numbered one first, as it was


async def test_a_rollback_gives_the_sequence_back(outbox: Outbox) -> None:
    order_id = str(uuid.uuid4())
    await outbox.record(order_id)

    async def record_then_fail() -> None:
        async with outbox.sessionmaker() as session, session.begin():
            await SqlUnitOfWorkBase(session, outbox.metadata).record(cancelled(order_id))
            raise Refused

    with pytest.raises(Refused):
        await record_then_fail()
    await outbox.record(order_id)
    assert await outbox.sequences(order_id) == [1, 2]


async def test_concurrent_writers_are_numbered_in_commit_order(outbox: Outbox) -> None:
    order_id = str(uuid.uuid4())
    async with outbox.sessionmaker() as first:
        await first.begin()
        await SqlUnitOfWorkBase(first, outbox.metadata).record(cancelled(order_id))
        second = asyncio.create_task(outbox.record(order_id))
        await asyncio.sleep(0.5)
        assert not second.done()  # queued behind the subject's counter row
        await first.commit()
        await asyncio.wait_for(second, 10)
    assert await outbox.sequences(order_id) == [1, 2]


async def test_without_counters_events_carry_no_sequence(outbox: Outbox) -> None:
    order_id = str(uuid.uuid4())
    async with outbox.sessionmaker() as session, session.begin():
        # The outbox of a metadata that does not declare the counters: nothing is numbered.
        plain = new_metadata().tables["outbox"]
        await SqlUnitOfWorkBase(session, plain).record(cancelled(order_id))
    assert await outbox.sequences(order_id) == [None]


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "unnumbered"])
async def test_an_event_is_recorded_only_with_the_row_its_statement_writes(
    databases: TemporaryDatabases, numbered: bool
) -> None:
    metadata = new_metadata()
    if numbered:
        add_event_sequences_table(metadata)
    marks = Table("marks", metadata, Column("id", String(40), primary_key=True))
    engine = make_engine(await databases.create("written"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = make_sessionmaker(engine)
    mark = (
        insert(marks)
        .values(id=bindparam("mark_id", type_=String))
        .on_conflict_do_nothing()
        .returning(marks.c.id)
    )
    order_id = str(uuid.uuid4())
    try:
        written = []
        for _ in range(2):
            async with sessions() as session, session.begin():
                uow = SqlUnitOfWorkBase(session, metadata)
                written.append(
                    await uow.write_and_record_if_written(
                        mark, {"mark_id": order_id}, cancelled(order_id)
                    )
                )
        assert written[0] is not None
        assert written[0].id == order_id
        assert written[1] is None  # its row was there: neither it nor the event written
        async with sessions() as session, session.begin():
            await SqlUnitOfWorkBase(session, metadata).record(cancelled(order_id))
        outbox = metadata.tables["outbox"]
        async with sessions() as session:
            payloads = (
                await session.execute(select(outbox.c.payload).where(outbox.c.key == order_id))
            ).scalars()
            sequences = [json.loads(payload)["sequence"] for payload in payloads]
        # Two events, the second numbered 2: the statement that wrote nothing took no number.
        assert sequences == ([1, 2] if numbered else [None, None])
    finally:
        await engine.dispose()
