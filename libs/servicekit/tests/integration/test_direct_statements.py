"""Statements built once run directly on the session's asyncpg connection (`servicekit.direct`):
the same rows, parameters, errors and transaction as through SQLAlchemy's execution layer."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import session as session_module

from servicekit.db import make_engine, make_sessionmaker, reads_on_their_own
from servicekit.direct import DirectResult, DirectSession, plan_of
from servicekit.testing import TemporaryDatabases

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String, primary_key=True),
    Column("amount", Numeric(12, 2), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ref", Uuid, nullable=True),
    Column("tags", ARRAY(String), nullable=False),
    Column("doc", JSONB, nullable=False),
    Column("note", String, nullable=True, default="python-side"),  # a Python-side default
    Column("seq", BigInteger, nullable=True),
    Column("ratio", Numeric(6, 3, asdecimal=False), nullable=False),  # a result processor
)

AT = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.UTC)
VALUES = {
    "id": "a",
    "amount": Decimal("12.30"),
    "at": AT,
    "ref": uuid.UUID(int=7),
    "tags": ["x", "y"],
    "doc": {"nested": {"n": 1, "s": "ü"}},
    "ratio": 0.5,
}
ADD = insert(things).values(
    {column: bindparam(f"new_{column}", type_=things.c[column].type) for column in VALUES}
    | {"note": bindparam("new_note", type_=String)}
)
READ = select(*(things.c[name] for name in ("id", "amount", "at", "ref", "tags", "doc", "ratio")))
READ_ONE = READ.where(things.c.id == bindparam("id"))
TOTAL = select(func.sum(things.c.amount).label("total"), func.count().label("count"))
RENAME = update(things).where(things.c.id == bindparam("old")).values(note=bindparam("note"))
RETURNING = (
    update(things)
    .where(things.c.id == bindparam("old"))
    .values(amount=things.c.amount + bindparam("more", type_=Numeric(12, 2)))
    .returning(things.c.amount, things.c.doc)
)
DROP = delete(things).where(things.c.id == bindparam("id"))
RAW = text("SELECT id, amount FROM things WHERE id = :id")
IN_LIST = select(things.c.id).where(things.c.id.in_(bindparam("ids", expanding=True)))
WITH_DEFAULT = insert(things)  # its columns follow the parameters; `note` from Python


def without(params: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key != name}


def parameters(id_: str, **changes: Any) -> dict[str, Any]:
    return {f"new_{key}": value for key, value in (VALUES | {"id": id_} | changes).items()} | {
        "new_note": None
    }


@pytest.fixture
async def engine(databases: TemporaryDatabases) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await databases.create("direct"), pool_size=2, max_overflow=0)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def twice(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    """The statement's second execution is the direct one: the first is SQLAlchemy's."""
    await session.execute(statement, params)
    return await session.execute(statement, params)


async def test_a_statement_built_once_runs_directly_from_its_second_execution(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        assert isinstance(session, DirectSession)
        await session.execute(ADD, parameters("a"))
        read_one = READ.where(things.c.id == bindparam("id"))  # never executed before
        first = await session.execute(read_one, {"id": "a"})
        assert not isinstance(first, DirectResult)  # seen once: SQLAlchemy's
        second = await session.execute(read_one, {"id": "a"})
        assert isinstance(second, DirectResult)
        assert first.all() == second.all() != []
        # A statement built per call is never planned.
        built = READ.where(things.c.id == "a")
        assert not isinstance(await session.execute(built), DirectResult)
        assert plan_of(READ.where(things.c.id == "a"), {}, engine.dialect) is None


async def test_every_kind_of_value_goes_in_and_out_as_through_sqlalchemy(
    engine: AsyncEngine,
) -> None:
    plain = async_sessionmaker(engine, class_=AsyncSession)
    direct = make_sessionmaker(engine)
    async with direct() as session, session.begin():
        await session.execute(ADD, parameters("a"))
        added = await session.execute(ADD, parameters("b", amount=Decimal("0.01"), ref=None))
        assert isinstance(added, DirectResult)  # the second row went in directly
        assert added.rowcount == 1
    async with plain() as session:
        expected = (await session.execute(READ.order_by(things.c.id))).all()
    async with direct() as session:
        ordered = READ.order_by(things.c.id)
        await session.execute(ordered)
        result = await session.execute(ordered)
        assert isinstance(result, DirectResult)
        rows = result.all()
    assert rows == expected
    assert rows[1].amount == Decimal("0.01")
    assert rows[1].ref is None
    assert rows[0].doc == {"nested": {"n": 1, "s": "ü"}}  # JSONB decoded, as SQLAlchemy does
    assert rows[0]._mapping["tags"] == ["x", "y"]
    assert rows[0].at == AT
    assert isinstance(rows[0].ratio, float)  # NUMERIC as a float: SQLAlchemy's processor ran


async def test_results_offer_sqlalchemys_api(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(ADD, parameters("a"))
        await session.execute(ADD, parameters("b"))
        total = await twice(session, TOTAL)
        assert isinstance(total, DirectResult)
        assert total.one() == (Decimal("24.60"), 2)
        assert (await session.execute(TOTAL)).mappings().one() == {
            "total": Decimal("24.60"),
            "count": 2,
        }
        assert (await session.execute(READ_ONE, {"id": "b"})).scalar_one() == "b"
        assert (await session.execute(READ_ONE, {"id": "zz"})).first() is None
        changed = await twice(session, RETURNING, {"old": "a", "more": Decimal("1")})
        assert isinstance(changed, DirectResult)
        assert changed.one() == (Decimal("14.30"), VALUES["doc"])
        renamed = await twice(session, RENAME, {"old": "b", "note": "n"})
        assert isinstance(renamed, DirectResult)
        assert renamed.rowcount == 1
        raw = await twice(session, RAW, {"id": "b"})
        assert isinstance(raw, DirectResult)
        assert raw.one()._mapping == {"id": "b", "amount": Decimal("12.30")}


async def test_what_only_sqlalchemy_can_run_stays_with_it(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(ADD, parameters("a"))
        # An IN list expanded per call.
        found = await twice(session, IN_LIST, {"ids": ["a", "b"]})
        assert not isinstance(found, DirectResult)
        assert found.scalars().all() == ["a"]
        # A column default computed in Python before the INSERT.
        row = VALUES | {"id": "d"}
        await session.execute(WITH_DEFAULT, row)
        added = await session.execute(WITH_DEFAULT, row | {"id": "e"})
        assert not isinstance(added, DirectResult)
        notes = await session.execute(
            select(things.c.note).where(things.c.id.in_(["d", "e"])).order_by(things.c.id)
        )
        assert notes.scalars().all() == ["python-side", "python-side"]
        # Several parameter sets.
        await session.execute(DROP, [{"id": "d"}, {"id": "e"}])
        assert (await session.execute(TOTAL)).one()[1] == 1


async def test_the_first_statement_of_a_transaction_begins_it(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(ADD, parameters("seen"))  # the statement seen once
        await session.execute(DROP, {"id": "seen"})
        await session.execute(DROP, {"id": "seen"})
    async with sessions() as session, session.begin():
        # The first statement of this transaction is a direct one: it must be inside it.
        result = await session.execute(ADD, parameters("undone"))
        assert isinstance(result, DirectResult)
        assert (await session.execute(READ_ONE, {"id": "undone"})).first() is not None
        await session.rollback()
    async with sessions() as session:
        assert (await session.execute(READ_ONE, {"id": "undone"})).first() is None


async def test_a_read_session_reads_directly_without_a_transaction(engine: AsyncEngine) -> None:
    reads = make_sessionmaker(reads_on_their_own(engine))
    transaction_id = text("SELECT txid_current()")
    async with reads() as session:
        await session.execute(transaction_id)
        first = await session.execute(transaction_id)
        second = await session.execute(transaction_id)
        assert isinstance(first, DirectResult)
        assert first.scalar_one() != second.scalar_one()  # each statement its own transaction


async def test_errors_are_sqlalchemys_with_the_servers_sqlstate(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(ADD, parameters("a"))
    async with sessions() as session:
        with pytest.raises(IntegrityError) as raised:
            await session.execute(ADD, parameters("a"))  # direct now, and a duplicate key
        assert getattr(raised.value.orig, "sqlstate", None) == "23505"
        assert "INSERT INTO things" in str(raised.value)  # the statement, as SQLAlchemy says
        await session.rollback()
        # A missing parameter is refused before anything is sent, as SQLAlchemy refuses it.
        with pytest.raises(StatementError, match="new_amount"):
            await session.execute(
                ADD, {k: v for k, v in parameters("c").items() if "amount" not in k}
            )


async def test_statement_listeners_see_every_statement(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    seen: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with sessions() as session:
            for _ in range(3):
                result = await session.execute(READ_ONE, {"id": "a"})
                assert not isinstance(result, DirectResult)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", executed)
    assert len(seen) == 3


SLEEP = text("SELECT pg_sleep(:seconds)")
BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
async def one_connection(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a pool of one connection to `engine`'s database, with both statements seen."""
    single = make_engine(
        engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0
    )
    sessions = make_sessionmaker(single)
    async with sessions() as session:
        await session.execute(SLEEP, {"seconds": 0})
        await session.execute(BACKEND)
    yield sessions
    await single.dispose()


async def test_a_cancelled_statement_leaves_its_connection_closed_not_reused(
    one_connection: async_sessionmaker[AsyncSession],
) -> None:
    sessions = one_connection
    async with sessions() as session:
        backend = (await session.execute(BACKEND)).scalar_one()
        waiting = asyncio.ensure_future(session.execute(SLEEP, {"seconds": 5}))
        await asyncio.sleep(0.2)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with sessions() as session:  # the pool's one connection: a new one
        assert (await session.execute(BACKEND)).scalar_one() != backend


async def test_a_connection_killed_under_a_session_fails_as_a_disconnect(
    one_connection: async_sessionmaker[AsyncSession], databases: TemporaryDatabases
) -> None:
    sessions = one_connection
    async with sessions() as session:
        backend = (await session.execute(BACKEND)).scalar_one()
        admin = await asyncpg.connect(databases.admin_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the event loop reads the server's goodbye
        with pytest.raises(DBAPIError) as raised:
            await session.execute(BACKEND)
        assert raised.value.connection_invalidated
    async with sessions() as session:
        assert (await session.execute(BACKEND)).scalar_one() != backend


async def test_a_transaction_spawns_greenlets_only_for_its_connection_and_commit(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = make_sessionmaker(engine)
    spawned: list[str] = []
    spawn = session_module.greenlet_spawn

    async def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        spawned.append(getattr(fn, "__name__", repr(fn)))
        return await spawn(fn, *args, **kwargs)

    monkeypatch.setattr(session_module, "greenlet_spawn", counting)
    async with sessions() as session, session.begin():
        await session.execute(READ_ONE, {"id": "g0"})  # its first execution: SQLAlchemy's
        await session.execute(READ_ONE, {"id": "g0"})
    # The connection is taken and the transaction committed by SQLAlchemy; beginning and
    # closing a session that holds nothing need no greenlet.
    assert spawned == ["connection", "__exit__"]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_failed_transaction_rolls_back_and_gives_its_connection_back(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)

    async def failing_use_case() -> None:
        async with sessions() as session, session.begin():
            await session.execute(ADD, parameters("r1"))
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        # A savepoint inside a transaction begun at once; the session is used again after.
        await session.execute(ADD, parameters("r2"))
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(ADD, parameters("r2"))
        assert not session.sync_session.in_nested_transaction()
    async with sessions() as session:
        ids = (await session.execute(select(things.c.id).order_by(things.c.id))).scalars().all()
    assert ids == ["r2"]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_session_still_in_its_transaction_is_closed_by_sqlalchemy(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session:  # no begin(): the transaction ends with the session
        await session.execute(ADD, parameters("c1"))
        assert session.sync_session.in_transaction()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with sessions() as session:  # never committed: rolled back by the close
        assert (await session.execute(READ_ONE, {"id": "c1"})).first() is None
    session = sessions()
    await session.execute(ADD, parameters("c2"))
    await session.close()  # an explicit close gives the connection back the same way
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


class Restart(Exception):
    """What a use case raises to start its savepoint's work again (as inventory's locks do)."""


async def write_then_restart(session: AsyncSession, id_: str) -> None:
    async with session.begin_nested():
        result = await session.execute(ADD, parameters(id_))
        assert isinstance(result, DirectResult)  # nothing of SQLAlchemy's in the savepoint
        raise Restart


async def test_a_savepoint_whose_statements_all_ran_directly_is_rolled_back(
    engine: AsyncEngine,
) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        for id_ in ("s0", "s00"):  # ADD is direct from its second execution on
            await session.execute(ADD, parameters(id_))
    async with sessions() as session, session.begin():
        await session.execute(ADD, parameters("s1"))
        with pytest.raises(Restart):
            await write_then_restart(session, "s2")
        # The savepoint's write is undone, the transaction's own kept; and a failed statement
        # in a savepoint leaves the transaction usable once the savepoint is rolled back.
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(ADD, parameters("s1"))
        await session.execute(ADD, parameters("s3"))
    async with sessions() as session:
        ids = (await session.execute(select(things.c.id).order_by(things.c.id))).scalars().all()
    assert ids == ["s0", "s00", "s1", "s3"]
