"""The migration helper creates the messaging tables exactly as `servicekit.db` declares them,
and the testing helpers give contract tests a migrated database."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.schema import CreateColumn

from servicekit import migrations
from servicekit.db import new_metadata
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    fake_or_sql,
    migrated_sessions,
    order_cancelled,
)
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


# What each column helper creates, pinned: applied migrations call them, so they never change.
PINNED_COLUMNS: list[tuple[list[sa.Column[Any]], list[str]]] = [
    (
        migrations.timestamp_columns(),
        [
            "created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL",
            "updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL",
        ],
    ),
    (
        migrations.timestamp_columns("recorded_at", default_now=False),
        ["recorded_at TIMESTAMP WITH TIME ZONE NOT NULL"],
    ),
    (migrations.address_columns(), ["billing_address JSONB", "shipping_address JSONB"]),
    (migrations.letter_text_columns(), ["opening_text TEXT", "closing_text TEXT"]),
    (
        migrations.payment_terms_columns(days_nullable=False),
        ["payment_terms_days INTEGER NOT NULL", "payment_terms_text VARCHAR(200)"],
    ),
    (
        migrations.payment_terms_columns(days_nullable=True),
        ["payment_terms_days INTEGER", "payment_terms_text VARCHAR(200)"],
    ),
    (
        migrations.totals_columns(),
        [
            "net_total NUMERIC(18, 2) NOT NULL",
            "tax_total NUMERIC(18, 2) NOT NULL",
            "gross_total NUMERIC(18, 2) NOT NULL",
        ],
    ),
    (
        migrations.priced_line_columns(),
        [
            "quantity NUMERIC(15, 3) NOT NULL",
            "unit_price NUMERIC(18, 2) NOT NULL",
            "discount_percent NUMERIC(7, 4) NOT NULL",
            "tax_rate NUMERIC(7, 4) NOT NULL",
            "net_amount NUMERIC(18, 2) NOT NULL",
            "tax_amount NUMERIC(18, 2) NOT NULL",
            "gross_amount NUMERIC(18, 2) NOT NULL",
        ],
    ),
]


@pytest.mark.parametrize(("columns", "ddl"), PINNED_COLUMNS)
def test_column_helpers_create_what_applied_migrations_created(
    columns: list[sa.Column[Any]], ddl: list[str]
) -> None:
    # A failure here means a helper changed under migrations already applied: write a new one.
    sa.Table("pinned", sa.MetaData(), *columns)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    assert [str(CreateColumn(column).compile(dialect=dialect)) for column in columns] == ddl


async def test_contract_units_of_work_leave_nothing_behind(databases: TemporaryDatabases) -> None:
    outbox = new_metadata().tables["outbox"]
    fake = object()
    order_id = str(uuid.uuid4())
    event = order_cancelled(order_id)

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


async def test_a_migration_waits_for_the_one_in_progress(databases: TemporaryDatabases) -> None:
    # Every pod of a service runs `migrate` in its init container; several start together in a
    # rollout. They take turns under an advisory lock, or they would create the same tables at
    # once and all but one fail on "already exists". Here the test holds the lock, as a pod
    # migrating would: the migration (a process, like a pod) waits, then runs once it is free.
    url = await databases.create("kit_turns")
    engine = create_async_engine(url)
    script = "import sys; from servicekit import migrations; migrations.upgrade(*sys.argv[1:])"
    try:
        async with engine.connect() as holder:
            await holder.execute(select(func.pg_advisory_lock(migrations.MIGRATION_LOCK_KEY)))
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", script, str(MIGRATIONS), url, stderr=asyncio.subprocess.PIPE
            )

            async def waiting() -> bool:
                async with engine.connect() as probe:
                    rows = await probe.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                            " AND NOT granted"
                        )
                    )
                    return bool(rows.scalar_one())

            await eventually(waiting)
            async with engine.connect() as probe:
                tables = await probe.execute(sa.text("SELECT to_regclass('alembic_version')"))
                assert tables.scalar_one() is None  # nothing migrated while the lock is held
            await holder.execute(select(func.pg_advisory_unlock(migrations.MIGRATION_LOCK_KEY)))
            _, stderr = await process.communicate()
            assert process.returncode == 0, stderr.decode()[-1000:]
        async with engine.connect() as connection:
            versions = await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert len(versions.all()) == 1
    finally:
        await engine.dispose()
