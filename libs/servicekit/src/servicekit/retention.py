"""Retention: delete what the messaging tables no longer need, and report how big tables are.

Every service's database keeps three tables that only grow unless pruned:

- `outbox`: a row is needed until the relay has published it. Published rows are kept a few days
  (default 7) for inspection (`suite-ops outbox`, "was this event sent?"), then deleted. Rows not
  yet published (or parked as failed) are never touched, however old.
- `inbox`: a row makes a redelivered event a no-op, so it must outlive every way the same event
  can arrive again. The latest that can happen is a dead letter replayed at the end of the
  dead-letter topic's retention (30 days in the Strimzi manifests), of a copy dead-lettered up to
  the event topic's retention (7 days) after the original was processed: 37 days. The default,
  45 days, leaves a margin; never set it below the dead-letter topics' retention plus the event
  topics' retention. (Consumer retries and relay republishing happen within minutes.)
- `idempotency_keys`: a record answers retries of a creating request for the key's lifetime
  (`servicekit.http.IDEMPOTENCY_TTL`, 24 hours by default); once expired it is ignored by
  `idempotent()`, and deleted here.

Each table has an index on the time it is pruned by (ADR 50): a round that finds nothing old
enough reads a few index pages, not the whole table.

Deletion goes in batches of `batch_size` rows, each its own short transaction, picking the rows
with `FOR UPDATE SKIP LOCKED` and deleting them by `ctid`: every worker replica may run the job;
they take different rows and never wait on each other, and a row another replica deleted first
is simply not found. Each round also sets `suite_table_rows` and
`suite_table_bytes` for every table of the service's metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from prometheus_client import Counter, Gauge
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    Interval,
    MetaData,
    Table,
    any_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.background import BackgroundLoop
from servicekit.db import RETENTION_COLUMNS
from servicekit.http import IDEMPOTENCY_TTL
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)

OUTBOX_RETENTION = timedelta(days=7)
INBOX_RETENTION = timedelta(days=45)  # > dead-letter retention (30 d) + event retention (7 d)

TABLE_ROWS = Gauge(
    "suite_table_rows",
    "Rows per table: PostgreSQL's estimate (pg_class.reltuples), counted before the first ANALYZE",
    ["service", "table"],
)
TABLE_BYTES = Gauge(
    "suite_table_bytes", "Disk size per table, indexes and TOAST included", ["service", "table"]
)
ROWS_PRUNED = Counter(
    "suite_rows_pruned", "Rows deleted by the retention job", ["service", "table"]
)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each messaging table keeps its rows, and how the job paces itself."""

    outbox: timedelta = OUTBOX_RETENTION  # after publication
    inbox: timedelta = INBOX_RETENTION  # after processing
    idempotency: timedelta = IDEMPOTENCY_TTL  # after the first request
    batch_size: int = 1000
    interval_seconds: float = 600.0

    @classmethod
    def of(cls, settings: ServiceSettings) -> RetentionPolicy:
        """The policy a service's settings (`<SERVICE>_RETENTION_*`) describe."""
        return cls(
            outbox=timedelta(days=settings.retention_outbox_days),
            inbox=timedelta(days=settings.retention_inbox_days),
            idempotency=timedelta(hours=settings.idempotency_ttl_hours),
            batch_size=settings.retention_batch_size,
            interval_seconds=settings.retention_interval_seconds,
        )

    def __post_init__(self) -> None:
        if min(self.outbox, self.inbox, self.idempotency) <= timedelta(0):
            raise ValueError("retention periods must be positive")
        if self.batch_size < 1 or self.interval_seconds <= 0:
            raise ValueError("want batch_size >= 1 and interval_seconds > 0")


@dataclass(frozen=True)
class _Rule:
    """Delete rows of `table` whose `column` is older than `age`."""

    table: str
    column: str
    age: timedelta
    statement: Delete


def _prune_statement(table: Table, column: str) -> Delete:
    """Delete up to `:limit` rows whose `column` is older than `:age`, skipping locked ones."""
    ctid: ColumnElement[Any] = literal_column("ctid")
    # `column < now() - age` is false for NULL: unpublished outbox rows never qualify.
    picked = (
        select(ctid)
        .select_from(table)
        .where(table.c[column] < func.now() - bindparam("age", type_=Interval()))
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    # `ctid = ANY(ARRAY(...))` is a TID scan: the delete touches exactly the rows picked.
    return delete(table).where(ctid == any_(func.array(picked.scalar_subquery())))


def _rule(table: Table, age: timedelta) -> _Rule:
    column = RETENTION_COLUMNS[table.name]
    return _Rule(table.name, column, age, _prune_statement(table, column))


_TABLE_SIZES = text(
    "SELECT c.relname AS name, c.reltuples AS estimate, pg_total_relation_size(c.oid) AS bytes "
    "FROM pg_class c WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(:names) "
    "AND pg_table_is_visible(c.oid)"
)


class RetentionPruner:
    """Prunes the outbox, inbox and idempotency records of one service; measures its tables."""

    def __init__(
        self,
        *,
        service: str,
        metadata: MetaData,
        sessionmaker: async_sessionmaker[AsyncSession],
        policy: RetentionPolicy | None = None,
    ) -> None:
        self.service = service
        self.metadata = metadata
        self.sessionmaker = sessionmaker
        self.policy = policy or RetentionPolicy()
        tables = metadata.tables
        ages = {
            "outbox": self.policy.outbox,
            "inbox": self.policy.inbox,
            "idempotency_keys": self.policy.idempotency,
        }
        self.rules = [_rule(tables[name], age) for name, age in ages.items()]
        self._loop = BackgroundLoop(
            f"{service}-retention",
            self._round,
            interval=self.policy.interval_seconds,
            max_backoff=max(self.policy.interval_seconds, 30.0),
            stop_timeout=10.0,  # a batch is short; do not hold up a shutdown for a slow one
            logger=log,
        )

    @property
    def running(self) -> bool:
        return self._loop.running

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def prune_once(self) -> dict[str, int]:
        """One batch per table, each in a transaction of its own: rows deleted per table."""
        deleted: dict[str, int] = {}
        for rule in self.rules:
            async with self.sessionmaker() as session, session.begin():
                result = await session.execute(
                    rule.statement, {"age": rule.age, "limit": self.policy.batch_size}
                )
            count = cast(CursorResult[Any], result).rowcount
            deleted[rule.table] = count
            if count:
                ROWS_PRUNED.labels(self.service, rule.table).inc(count)
        return deleted

    async def prune(self) -> dict[str, int]:
        """Batches until nothing old enough is left (or the job is stopping): totals per table."""
        totals = {rule.table: 0 for rule in self.rules}
        while True:
            deleted = await self.prune_once()
            for name, count in deleted.items():
                totals[name] += count
            if not self._more_to_do(deleted) or self._loop.stopping:
                return totals

    async def measure(self) -> dict[str, int]:
        """Set the size gauges of every table of the metadata; returns the row counts."""
        names = [table.name for table in self.metadata.sorted_tables]
        rows: dict[str, int] = {}
        async with self.sessionmaker() as session:
            found = (await session.execute(_TABLE_SIZES, {"names": names})).all()
            for name, estimate, size in found:
                if estimate < 0:  # never analyzed yet (so small or new): count it
                    counted = select(func.count()).select_from(self.metadata.tables[name])
                    estimate = (await session.execute(counted)).scalar_one()
                rows[name] = int(estimate)
                TABLE_ROWS.labels(self.service, name).set(rows[name])
                TABLE_BYTES.labels(self.service, name).set(size)
        return rows

    def _more_to_do(self, deleted: dict[str, int]) -> bool:
        return any(count >= self.policy.batch_size for count in deleted.values())

    async def _round(self) -> float | None:
        deleted = await self.prune_once()
        if any(deleted.values()):
            log.info("retention deleted %s", ", ".join(f"{n} {t}" for t, n in deleted.items()))
        if self._more_to_do(deleted):
            return 0  # a full batch: more is waiting; go on at once, in a new transaction
        await self.measure()
        return None
