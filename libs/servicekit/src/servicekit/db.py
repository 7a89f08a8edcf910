"""Database factories and the messaging tables every service's schema includes."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    TableValuedAlias,
    Text,
    UpdateBase,
    bindparam,
    event,
    exc,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.dialects.postgresql.dml import Insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeEngine

from servicekit.direct import DirectSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A service's metadata, with the outbox, inbox and idempotency tables already in it."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    add_messaging_tables(metadata)
    return metadata


# The time by which the retention job (`servicekit.retention`) finds each messaging table's old
# rows; each has an index on it (`retention_index`).
RETENTION_COLUMNS = {
    "outbox": "published_at",
    "inbox": "processed_at",
    "idempotency_keys": "created_at",
}


def retention_index(table: str) -> Index:
    """The index on the time by which the retention job prunes `table` (ADR 50): a round that
    finds nothing old enough reads a few index pages instead of the whole table. Rows come in
    about that time's order, so each one adds its entry at the index's right edge (~1 µs). The
    outbox's counts published rows only: unpublished ones are never pruned."""
    column = RETENTION_COLUMNS[table]
    published = text(f"{column} IS NOT NULL") if table == "outbox" else None
    return Index(f"ix_{table}_{column}", column, postgresql_where=published)


def add_messaging_tables(metadata: MetaData) -> None:
    Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", String(200), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", Text, nullable=False),  # the exact bytes published, as UTF-8 JSON
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # Set when Kafka refused the row for good (too large, invalid topic): the row is parked,
        # rows of its key wait behind it until an operator retries it (ADR 7).
        Column("failed_at", DateTime(timezone=True)),
        Column("error", Text),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index(
            "ix_outbox_parked",
            "key",
            postgresql_where=text("failed_at IS NOT NULL AND published_at IS NULL"),
        ),
        retention_index("outbox"),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        retention_index("inbox"),
    )
    Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
        retention_index("idempotency_keys"),
    )


def make_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    autocommit: bool = False,
    plan_cache_mode: str = "auto",
) -> AsyncEngine:
    """An engine whose pooled connections are checked for life without a round trip.

    `plan_cache_mode` is set on each connection as it opens, when it is not the server's
    `auto` (ADR 59): with `force_generic_plan` a prepared statement is planned once per
    connection instead of for each of its first five runs, and for every run of one whose
    plan depends on the length of the arrays it is given.

    SQLAlchemy's `pool_pre_ping` costs three round trips per checkout with asyncpg (BEGIN, a
    ping, ROLLBACK), on every transaction. A connection the server closed (a restart, a
    terminated backend) is already known closed to asyncpg once the event loop read the EOF, so
    the checkout hook below replaces it for free; one that died silently fails its first
    statement, and that disconnect invalidates the whole pool (a consumer retries the batch).
    """
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if plan_cache_mode != "auto":
        options["connect_args"] = {"server_settings": {"plan_cache_mode": plan_cache_mode}}
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        json_serializer=json_column_text,
        json_deserializer=orjson.loads,
        **options,
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def json_column_text(value: Any) -> str:
    """A JSON or JSONB column's value as the JSON text sent for it: the standard library's
    `json.dumps` in what it accepts and writes (keys that are numbers, booleans or None as
    their text), about ten times faster. It also writes what `json.dumps` refuses (dates,
    UUIDs, dataclasses), and NaN as null, which PostgreSQL refuses in JSON text anyway; it
    refuses an integer beyond 64 bits, which `orjson.loads` would read back as a float."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _refuse_closed_connection(
    dbapi_connection: Any, connection_record: Any, connection_proxy: Any
) -> None:
    """A pool `checkout` hook: a closed connection is discarded and another one taken."""
    if connection_proxy.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


# Where a session finds the engine of `make_numbering_engine` (its maker's `info`).
NUMBERING_ENGINE_INFO = "servicekit.numbering_engine"


def make_numbering_engine(database_url: str) -> AsyncEngine:
    """A small pool of autocommit connections for numbers taken outside the caller's transaction
    (`servicekit.numbering.next_in_year_at_once`): one statement per counter and round of
    callers, committed by the server at once. A pool of its own, so that a caller holding a
    connection of the main pool never waits for a second one of the same pool (all of them
    could be held by such callers)."""
    # No overflow: a connection opened and closed per number would cost more than the wait.
    return make_engine(database_url, pool_size=4, max_overflow=0, autocommit=True)


def make_sessionmaker(
    engine: AsyncEngine,
    *,
    numbering: AsyncEngine | None = None,
    info: Mapping[str, Any] | None = None,
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`, each with `info`; with `numbering` (`make_numbering_engine`) they
    can take numbers at once (`servicekit.numbering.next_in_year_at_once`). Their statements
    built once skip SQLAlchemy's execution layer (`servicekit.direct`, ADR 51)."""
    session_info = dict(info or {})
    if numbering is not None:
        session_info[NUMBERING_ENGINE_INFO] = numbering
    return async_sessionmaker(
        engine, class_=DirectSession, expire_on_commit=False, info=session_info
    )


def reads_on_their_own(engine: AsyncEngine) -> AsyncEngine:
    """`engine` (the same pool) with each statement committed on its own, no transaction
    around them: for work that only reads, without the round trips of its BEGIN and COMMIT.

    At READ COMMITTED, PostgreSQL's default and the suite's, every statement of a transaction
    takes a snapshot of its own anyway, so a read sees the same either way. Not for anything
    that writes (each statement would commit alone), locks rows or opens a server-side cursor.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style DSN asyncpg wants, from an SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def insert_new_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_columns: tuple[str, ...] | None = None,
) -> None:
    """Insert the rows, skipping each that conflicts with one stored (`ON CONFLICT DO NOTHING`,
    on `conflict_columns` when given, else on any unique constraint).

    The rows are the parameters of one statement built once per table (an executemany), not a
    multi-row VALUES clause: SQLAlchemy cannot cache one of those, so it would compile the
    statement again on every call.
    """
    if rows:
        # One row as one parameter set: a statement run directly (ADR 51), not an executemany.
        parameters = rows[0] if len(rows) == 1 else list(rows)
        await session.execute(_insert_ignoring_conflicts(table, conflict_columns), parameters)


@functools.cache
def _insert_ignoring_conflicts(table: Table, conflict_columns: tuple[str, ...] | None) -> Insert:
    return insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


def any_of(values: Iterable[Any], item_type: TypeEngine[Any]) -> ColumnElement[Any]:
    """`= ANY` of one array parameter, for `column == any_of(values, type)`: a look-up of
    however many values. `IN` takes a parameter per value, and a statement can have at most
    32,767 (asyncpg refuses more), which a big file's references or a long stock-out's
    backorders exceed."""
    return bindparam("values", list(values), type_=ARRAY(item_type), unique=True).any_()


def unnested(table: Table, columns: Sequence[str], prefix: str) -> TableValuedAlias:
    """Rows given as one array parameter per column (`<prefix>_<column>`, typed as `table`'s
    column), as a FROM: `unnest(...) AS anon(<columns>)`. A statement that writes or matches
    them is one round trip however many rows (`as_arrays` gives the parameters)."""
    arrays = [
        bindparam(f"{prefix}_{column}", type_=ARRAY(table.c[column].type)) for column in columns
    ]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def as_arrays(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], prefix: str
) -> dict[str, list[Any]]:
    """The parameters of `unnested(table, columns, prefix)` for `rows` (each a mapping with
    every one of `columns`), in their order."""
    listed = list(rows)
    return {f"{prefix}_{column}": [row[column] for row in listed] for column in columns}


def with_parts(answer: ColumnElement[Any], parts: Mapping[str, UpdateBase]) -> Select[Any]:
    """One statement: the SELECT of `answer` (its one column), running each of `parts` as a
    data-modifying `WITH` named by its key (PostgreSQL runs each once, read or not)."""
    statement = select(answer)
    for name, part in parts.items():
        statement = statement.add_cte(part.cte(name))
    return statement
