"""The migration helper creates the messaging tables exactly as `servicekit.db` declares them,
and the testing helpers give contract tests a migrated database."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import EventType, new_event
from contracts.events import OrderCancelled
from servicekit.db import new_metadata
from servicekit.testing import TemporaryDatabases, fake_or_sql, migrated_sessions
from servicekit.unit_of_work import SqlUnitOfWorkBase

MIGRATIONS = Path(__file__).parent / "migrations"


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, new_metadata()))


async def test_migrated_messaging_tables_match_the_declared_ones(
    databases: TemporaryDatabases,
) -> None:
    # A change to the tables in servicekit.db fails here: it needs a migration helper of its
    # own, called by every service's next migration (the first version stays as it is).
    async with (
        migrated_sessions(databases, MIGRATIONS, "kit_migrations") as sessions,
        sessions() as session,
    ):
        connection = await session.connection()
        assert await connection.run_sync(differences) == []


async def test_contract_units_of_work_leave_nothing_behind(databases: TemporaryDatabases) -> None:
    outbox = new_metadata().tables["outbox"]
    fake = object()
    order_id = str(uuid.uuid4())
    event = new_event(
        EventType.ORDER_CANCELLED,
        OrderCancelled(order_id=order_id, number="SO-1", reason="test", previous_status="open"),
        source="/tests/kit",
        subject=order_id,
    )

    def sql(session: AsyncSession) -> object:
        return SqlUnitOfWorkBase(session, outbox)

    async with migrated_sessions(databases, MIGRATIONS, "kit_contract") as sessions:
        async with fake_or_sql("fake", fake, sessions, sql) as uow:
            assert uow is fake
        async with fake_or_sql("sql", fake, sessions, sql) as uow:
            assert isinstance(uow, SqlUnitOfWorkBase)
            await uow.record(event)
            count = select(func.count()).select_from(outbox)
            assert (await uow.session.execute(count)).scalar_one() == 1
        async with sessions() as session:
            assert (await session.execute(count)).scalar_one() == 0  # rolled back
