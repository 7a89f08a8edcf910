"""Sessions that only read run each statement on its own, on the same pool as the others."""

from __future__ import annotations

from sqlalchemy import text

from servicekit.db import make_engine, make_sessionmaker, reads_on_their_own
from servicekit.testing import TemporaryDatabases

# txid_current() gives the id of the transaction it runs in (assigning one if needed).
_TWO_STATEMENTS_TRANSACTIONS = (text("SELECT txid_current()"), text("SELECT txid_current()"))


async def test_a_read_session_runs_each_statement_as_its_own_transaction(
    databases: TemporaryDatabases,
) -> None:
    engine = make_engine(await databases.create("reads"), pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    read_sessions = make_sessionmaker(reads_on_their_own(engine))
    try:
        async with read_sessions() as session:
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
            first, second = [await session.scalar(s) for s in _TWO_STATEMENTS_TRANSACTIONS]
        assert first != second  # no BEGIN: each statement committed alone

        # The same pooled connection, given back in its usual mode: one transaction again.
        async with sessions() as session, session.begin():
            assert await session.scalar(text("SELECT pg_backend_pid()")) == backend
            first, second = [await session.scalar(s) for s in _TWO_STATEMENTS_TRANSACTIONS]
        assert first == second
    finally:
        await engine.dispose()
