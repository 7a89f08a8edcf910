"""Alembic helpers: each service's `migrations/env.py` is two lines calling `run_env`, its
initial migration creates the messaging tables with `create_messaging_tables`, and its tables
take the column groups they share with other services' tables from the `*_columns` helpers.

Every helper here is frozen, as migrations must be: revisions already applied call them, so
what a helper creates never changes. A different shape needs a new helper, never an edit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

# The advisory lock `migrate` holds while it migrates a service's database (its own database, so
# one constant serves every service).
MIGRATION_LOCK_KEY = 0x5A1E5_0DE5


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(metadata: MetaData) -> None:
    """Body of a service's env.py: migrate online with the async engine, or emit SQL offline."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not configured"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            # Pods starting at once (each runs `migrate` in its init container) take turns:
            # the lock ends with the transaction, and the next one reads the version table
            # only after it, so it finds the migrations applied and does nothing.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(online())


def create_messaging_tables() -> None:
    """Create the outbox, inbox and idempotency_keys tables (call from an initial migration).

    This is the tables' first version, frozen as migrations must be: `servicekit.db` declares
    the same tables for the application. A later change to them needs a helper of its own
    that every service's next migration calls, never an edit here.
    """
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *timestamp_columns("created_at"),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        *timestamp_columns("processed_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        *timestamp_columns("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_messaging_tables() -> None:
    """Undo `create_messaging_tables` (call from the initial migration's downgrade)."""
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("idempotency_keys")


def add_outbox_parking() -> None:
    """Outbox rows Kafka refuses for good are parked with their error (ADR 7): `failed_at`,
    `error`, and an index on the keys of parked rows, whose later rows wait behind them.

    Frozen like `create_messaging_tables`; every service's migration after its initial one
    calls it. Adding nullable columns without a default does not rewrite the table.
    """
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("error", sa.Text(), nullable=True))
    op.create_index(
        "ix_outbox_parked",
        "outbox",
        ["key"],
        unique=False,
        postgresql_where=sa.text("failed_at IS NOT NULL AND published_at IS NULL"),
    )


def drop_outbox_parking() -> None:
    """Undo `add_outbox_parking`."""
    op.drop_index("ix_outbox_parked", table_name="outbox")
    op.drop_column("outbox", "error")
    op.drop_column("outbox", "failed_at")


def add_retention_indexes() -> None:
    """The indexes by which the retention job finds old messaging rows (ADR 50;
    `servicekit.db.retention_index`). Frozen; every service's migration after its outbox
    parking calls it. Each is built in the migration's transaction: writes to its table wait
    for the build (a sort of one timestamp column, seconds at millions of rows)."""
    op.create_index(
        "ix_outbox_published_at",
        "outbox",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], unique=False)
    op.create_index(
        "ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False
    )


def drop_retention_indexes() -> None:
    """Undo `add_retention_indexes`."""
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    op.drop_index("ix_outbox_published_at", table_name="outbox")


def create_import_jobs_table() -> None:
    """Create the `import_jobs` table that `servicekit.import_jobs.import_jobs_table` declares
    (background CSV imports: the file, its progress, its report, who started it). Frozen."""
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_by_team", sa.String(length=200), nullable=True),
        sa.Column("visibility", sa.String(length=10), nullable=True),
        *timestamp_columns(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')",
            name=op.f("ck_import_jobs_import_job_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index(
        "ix_import_jobs_waiting",
        "import_jobs",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("finished_at IS NULL"),
    )


def drop_import_jobs_table() -> None:
    """Undo `create_import_jobs_table`."""
    op.drop_index("ix_import_jobs_waiting", table_name="import_jobs")
    op.drop_table("import_jobs")


def timestamp_columns(*names: str, default_now: bool = True) -> list[sa.Column[Any]]:
    """Not-null `timestamptz` columns, `created_at` and `updated_at` unless other names are
    given, with `DEFAULT now()` unless `default_now=False`. Frozen (see the module docstring).
    """
    default = sa.text("now()") if default_now else None
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=default, nullable=False)
        for name in names or ("created_at", "updated_at")
    ]


def address_columns() -> list[sa.Column[Any]]:
    """`billing_address` and `shipping_address`: nullable JSONB. Frozen."""
    return [
        sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=True)
        for name in ("billing_address", "shipping_address")
    ]


def letter_text_columns() -> list[sa.Column[Any]]:
    """`opening_text` and `closing_text` around a document's lines: nullable text. Frozen."""
    return [sa.Column(name, sa.Text(), nullable=True) for name in ("opening_text", "closing_text")]


def payment_terms_columns(*, days_nullable: bool) -> list[sa.Column[Any]]:
    """`payment_terms_days` (integer) and `payment_terms_text` (nullable varchar(200)). Frozen."""
    return [
        sa.Column("payment_terms_days", sa.Integer(), nullable=days_nullable),
        sa.Column("payment_terms_text", sa.String(length=200), nullable=True),
    ]


def totals_columns() -> list[sa.Column[Any]]:
    """A document's `net_total`, `tax_total` and `gross_total`: not-null numeric(18, 2). Frozen."""
    return [
        sa.Column(name, sa.Numeric(precision=18, scale=2), nullable=False)
        for name in ("net_total", "tax_total", "gross_total")
    ]


def priced_line_columns() -> list[sa.Column[Any]]:
    """A priced line's quantity, unit price, discount and tax rate (percent) and its net, tax and
    gross amounts, all not null. Frozen."""
    money = sa.Numeric(precision=18, scale=2)
    percent = sa.Numeric(precision=7, scale=4)
    return [
        sa.Column("quantity", sa.Numeric(precision=15, scale=3), nullable=False),
        sa.Column("unit_price", money, nullable=False),
        sa.Column("discount_percent", percent, nullable=False),
        sa.Column("tax_rate", percent, nullable=False),
        sa.Column("net_amount", money, nullable=False),
        sa.Column("tax_amount", money, nullable=False),
        sa.Column("gross_amount", money, nullable=False),
    ]


# The money columns of a priced line (`priced_line_columns`) and of a document's totals.
LINE_MONEY_COLUMNS = ("unit_price", "net_amount", "tax_amount", "gross_amount")
TOTALS_MONEY_COLUMNS = ("net_total", "tax_total", "gross_total")


_NARROW_MONEY = sa.Numeric(precision=18, scale=2)
_WIDE_MONEY = sa.Numeric(precision=20, scale=4)


def widen_money_columns(columns: dict[str, tuple[str, ...]]) -> None:
    """Alter money columns (`{table: column names}`) from numeric(18, 2) to numeric(20, 4): the
    same 16 digits before the point, room for every ISO 4217 minor unit after it. Frozen."""
    _alter_money_columns(columns, _NARROW_MONEY, _WIDE_MONEY)


def narrow_money_columns(columns: dict[str, tuple[str, ...]]) -> None:
    """Undo `widen_money_columns`: back to numeric(18, 2), amounts rounded to the cent. Frozen."""
    _alter_money_columns(columns, _WIDE_MONEY, _NARROW_MONEY)


def _alter_money_columns(
    columns: dict[str, tuple[str, ...]], old: sa.Numeric[Any], new: sa.Numeric[Any]
) -> None:
    for table, names in columns.items():
        for name in names:
            op.alter_column(table, name, type_=new, existing_type=old, existing_nullable=False)
