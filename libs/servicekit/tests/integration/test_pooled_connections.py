"""Pooled connections the server closed are replaced at checkout, without a pre-ping round trip."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from servicekit.db import make_engine
from servicekit.testing import Infrastructure, TemporaryDatabases


async def _backend_pids(engine_url: str, admin_url: str) -> list[int]:
    database = engine_url.rsplit("/", 1)[1].split("?")[0]
    admin = await asyncpg.connect(admin_url)
    try:
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return [row["pid"] for row in rows]
    finally:
        await admin.close()


async def _terminate(pids: list[int], admin_url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        for pid in pids:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_the_server_closed_is_replaced_at_checkout(
    databases: TemporaryDatabases, infrastructure: Infrastructure
) -> None:
    admin_url = infrastructure.postgres_admin_url
    url = await databases.create("pooled")
    engine = make_engine(url, pool_size=2)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert await _backend_pids(url, admin_url) == [first]

        await _terminate([first], admin_url)
        await asyncio.sleep(0.2)  # the idle pooled connection reads the server's goodbye

        async with engine.connect() as connection:  # no error: a fresh connection is taken
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
        assert await _backend_pids(url, admin_url) == [second]
    finally:
        await engine.dispose()
