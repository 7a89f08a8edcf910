"""A request that fails because the database is away answers 503 with Retry-After, one that lost
a race with another answers 409; other failures keep their answers (ADR 53)."""

from __future__ import annotations

import asyncio
import socket

import httpx
from fastapi import FastAPI
from sqlalchemy import literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.db import make_engine, make_sessionmaker
from servicekit.http import DATABASE_RETRY_AFTER_SECONDS, PROBLEM_JSON, install_problem_handlers
from servicekit.testing import TemporaryDatabases


def app_reading(sessions: async_sessionmaker[AsyncSession], sql: str) -> FastAPI:
    """An app whose one route runs `sql` in a transaction, as a service's routes do."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/work")
    async def work() -> dict[str, str]:
        async with sessions() as session, session.begin():
            await session.execute(text(sql))
        return {"status": "done"}

    @app.post("/disk")
    async def disk() -> None:
        raise OSError(28, "No space left on device")  # not the database's

    @app.post("/many")
    async def many() -> None:
        # One parameter per value (an expanded IN): more than a statement can carry.
        async with sessions() as session:
            values = list(range(40_000))
            await session.execute(select(literal(1)).where(literal(1).in_(values)))

    return app


async def post(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path)


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["status"] == 503
    assert body["instance"] == "/work"
    assert "database" in body["detail"]


async def test_a_refused_database_connection_answers_503() -> None:
    url = f"postgresql+asyncpg://suite:suite@127.0.0.1:{closed_port()}/suite"
    engine = make_engine(url)
    try:
        assert_unavailable(await post(app_reading(make_sessionmaker(engine), "SELECT 1"), "/work"))
    finally:
        await engine.dispose()


async def test_a_connection_lost_mid_request_answers_503_and_the_next_request_works(
    databases: TemporaryDatabases,
) -> None:
    engine = make_engine(await databases.create("unavailable"), pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        # The server ends the request's own connection, as a restart or a failover does.
        dropped = app_reading(sessions, "SELECT pg_terminate_backend(pg_backend_pid())")
        assert_unavailable(await post(dropped, "/work"))

        # The pool let go of the dead connection: the next request gets a new one.
        response = await post(app_reading(sessions, "SELECT 1"), "/work")
        assert response.status_code == 200, response.text
    finally:
        await engine.dispose()


async def test_other_failures_keep_their_answers(databases: TemporaryDatabases) -> None:
    engine = make_engine(await databases.create("not_unavailable"))
    sessions = make_sessionmaker(engine)
    try:
        # A statement the database refuses is the service's fault, not an outage: 500.
        broken = await post(app_reading(sessions, "SELECT * FROM no_such_table"), "/work")
        assert broken.status_code == 500, broken.text
        assert "retry-after" not in broken.headers

        # An OSError that is not the database client's (a full disk) is a 500 as well.
        disk = await post(app_reading(sessions, "SELECT 1"), "/disk")
        assert disk.status_code == 500, disk.text
        assert disk.json()["title"] == "Internal Server Error"

        # A statement asyncpg refuses to send for its number of parameters fails every time:
        # a 500, not a 503 telling the client to retry.
        many = await post(app_reading(sessions, "SELECT 1"), "/many")
        assert many.status_code == 500, many.text
        assert "retry-after" not in many.headers
    finally:
        await engine.dispose()


async def test_a_request_that_loses_a_deadlock_answers_409_and_changes_nothing(
    databases: TemporaryDatabases,
) -> None:
    """Two requests lock the same two rows in opposite orders: PostgreSQL breaks the deadlock
    by failing one of them, which answers 409 (retry it) with its transaction undone."""
    engine = make_engine(await databases.create("deadlock"))
    sessions = make_sessionmaker(engine)
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/count/{first}/{second}")
    async def count(first: int, second: int) -> dict[str, str]:
        async with sessions() as session, session.begin():
            bump = text("UPDATE counters SET hits = hits + 1 WHERE id = :id")
            await session.execute(bump, {"id": first})
            await session.execute(text("SELECT pg_sleep(0.5)"))  # both hold their first row
            await session.execute(bump, {"id": second})
        return {"status": "done"}

    try:
        async with sessions() as session, session.begin():
            await session.execute(text("CREATE TABLE counters (id int PRIMARY KEY, hits int)"))
            await session.execute(text("INSERT INTO counters VALUES (1, 0), (2, 0)"))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(client.post("/count/1/2"), client.post("/count/2/1"))
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        [lost] = [r for r in answers if r.status_code == 409]
        assert lost.headers["content-type"] == PROBLEM_JSON
        assert "retry" in lost.json()["detail"]
        async with sessions() as session:
            hits = await session.execute(text("SELECT id, hits FROM counters ORDER BY id"))
            assert [tuple(row) for row in hits] == [(1, 1), (2, 1)]  # the winner's alone
    finally:
        await engine.dispose()
