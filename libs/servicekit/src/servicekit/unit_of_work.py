"""The part every service's unit of work shares: recording events in the outbox.

A service's service layer declares its unit-of-work Protocol by extending `RecordsEvents`;
its `adapters/unit_of_work.py` builds `SqlUnitOfWork` on `SqlUnitOfWorkBase` and adds the
repositories (each a `SqlRepository` on the same session). The transaction belongs to the
caller (a consumer or an HTTP dependency): the unit of work only writes into the session it was
given.

A service whose metadata declares the event sequence counters (`servicekit.sequencing`) has
every event it records numbered per subject: the CloudEvents `sequence` attribute.

Work that should happen once per transaction however many times a use case (or a consumer's
batch of events) asks for it, such as an event stating a value the transaction may change many
times, is deferred with `at_commit(key, work)`: whoever commits calls `run_at_commit(session)`
right before, and a commit that would leave deferred work undone fails instead.

What a transaction reads again and again (the warehouses, for every confirmation of a
consumer's batch) a repository may keep in `transaction_memo(session, name)`: it lasts as long
as the transaction, and is forgotten when any savepoint of it rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import MetaData, Row, Table
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import ReturningInsert

from contracts import CloudEvent
from servicekit.direct import end_pipeline, flush_pipeline, pipeline_queued
from servicekit.outbox import (
    add_all_to_outbox,
    add_to_outbox,
    write_and_record,
    write_and_record_if_written,
)
from servicekit.sequencing import EVENT_SEQUENCES


class RecordsEvents(Protocol):
    """A unit of work that records events for publication with the state it changes."""

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        """Record `event`; it is published only if the caller's transaction commits."""
        ...


AtCommit = Callable[[], Awaitable[None]]

# The deferred work of a session's transaction, by key, in its `info`.
_AT_COMMIT = "servicekit.at_commit"


def defer_to_commit(session: AsyncSession, key: str, work: AtCommit) -> None:
    """Run `work` once, right before the session's transaction commits; a later call with the
    same `key` in the same transaction is a no-op (the first one's work runs)."""
    session.info.setdefault(_AT_COMMIT, {}).setdefault(key, work)


async def run_at_commit(session: AsyncSession) -> None:
    """Send the statements queued in the transaction's pipeline (`servicekit.direct`), then run
    the work deferred to this commit, in the order of its keys (so two transactions that lock
    rows in it lock them in the same order). Call right before committing."""
    await flush_pipeline(session)
    deferred: dict[str, AtCommit] = session.info.get(_AT_COMMIT, {})
    while deferred:
        work = deferred.pop(min(deferred))
        await work()


@listens_for(Session, "before_commit")
def _refuse_commit_with_deferred_work(session: Session) -> None:
    """A commit that skipped `run_at_commit` would lose what was deferred: refuse it. (Also
    called when a savepoint is released, which is not the commit the work waits for.)"""
    if session.info.get(_AT_COMMIT) and not session.in_nested_transaction():
        raise RuntimeError(
            "committing with work deferred to the commit still undone (run_at_commit was not "
            f"called): {sorted(session.info[_AT_COMMIT])}"
        )
    if queued := pipeline_queued(session):
        raise RuntimeError(
            f"committing with {queued} statements still queued in the transaction's pipeline "
            "(run_at_commit was not called)"
        )


@listens_for(Session, "after_transaction_end")
def _forget_deferred_work(session: Session, transaction: SessionTransaction) -> None:
    """Work deferred by a transaction that rolled back is not done by the session's next one.
    Only the outermost transaction's end counts: work deferred before a savepoint that rolls
    back is still due (the work reads what the transaction commits, not what it was given).
    The transaction's memos go with it."""
    if transaction.parent is None:
        session.info.pop(_AT_COMMIT, None)
        session.info.pop(_MEMOS, None)
        end_pipeline(session)  # a rolled-back transaction's queued statements are not sent


# Each transaction's memos, by name, in its session's `info`.
_MEMOS = "servicekit.transaction_memos"


def transaction_memo(session: AsyncSession, name: str) -> dict[Any, Any]:
    """A dict named `name` that lasts as long as the session's transaction: for a repository
    to keep rows it will be asked for again (each unit of work of a consumer's batch is a new
    object on the same session). The repository clears it when it writes what it holds; it is
    forgotten at the transaction's end and when a savepoint rolls back (which may have undone
    what was read after a write)."""
    memos: dict[str, dict[Any, Any]] = session.info.setdefault(_MEMOS, {})
    return memos.setdefault(name, {})


@listens_for(Session, "after_soft_rollback")
def _forget_memos(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_MEMOS, None)


class SqlRepository:
    """A SQL repository: it reads and writes in the caller's session (the unit of work's), so
    its rows commit or roll back with everything else of the use case."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class SqlUnitOfWorkBase:
    """The caller's session and the service's outbox; subclasses add their repositories."""

    def __init__(self, session: AsyncSession, outbox: Table | MetaData) -> None:
        self.session = session
        # Either the outbox table itself or the service's MetaData that declares it.
        self.outbox = outbox.tables["outbox"] if isinstance(outbox, MetaData) else outbox
        # The per-subject counters, if the service's metadata declares them (it opts in).
        self.sequences: Table | None = self.outbox.metadata.tables.get(EVENT_SEQUENCES)

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        """Write `event` to the outbox in the caller's transaction, numbered with the next
        sequence of its key unless it carries one (or the service keeps no counters).

        The key defaults to the event's subject (the order id for anything about an order),
        so one aggregate's events keep their order in one partition. The number is taken by the
        outbox's INSERT itself: one round trip, not two.
        """
        counters = self._numbering(event)
        await add_to_outbox(self.session, self.outbox, event, key=key, numbered_by=counters)

    async def record_all(self, events: Sequence[CloudEvent[Any]]) -> None:
        """`record` each of `events` (keyed by its subject), in one exchange with the database
        (`add_all_to_outbox`): those numbered already first, as they are, then the others in
        their order, each numbered with its key's next sequence."""
        numbered = [event for event in events if event.sequence is not None]
        unnumbered = [event for event in events if event.sequence is None]
        await add_all_to_outbox(self.session, self.outbox, numbered)
        await add_all_to_outbox(self.session, self.outbox, unnumbered, numbered_by=self.sequences)

    async def write_and_record(
        self,
        write: ReturningInsert[Any],
        parameters: Mapping[str, Any],
        event: CloudEvent[Any],
        *,
        key: str | None = None,
    ) -> Row[Any]:
        """`write` (an INSERT … RETURNING of one row) with `parameters`, and `record(event,
        key=key)`, in one statement (`servicekit.outbox.write_and_record`); what it returns."""
        return await write_and_record(
            self.session,
            self.outbox,
            write,
            parameters,
            event,
            key=key,
            numbered_by=self._numbering(event),
        )

    async def write_and_record_if_written(
        self,
        write: ReturningInsert[Any],
        parameters: Mapping[str, Any],
        event: CloudEvent[Any],
        *,
        key: str | None = None,
    ) -> Row[Any] | None:
        """`write_and_record` for a `write` that may write nothing (INSERT … ON CONFLICT DO
        NOTHING RETURNING): `event` is recorded only with its row; None when neither was
        written (`servicekit.outbox.write_and_record_if_written`)."""
        return await write_and_record_if_written(
            self.session,
            self.outbox,
            write,
            parameters,
            event,
            key=key,
            numbered_by=self._numbering(event),
        )

    def _numbering(self, event: CloudEvent[Any]) -> Table | None:
        """The counters that number `event`: None if it is numbered already, or if the service
        keeps none."""
        return None if event.sequence is not None else self.sequences

    async def at_commit(self, key: str, work: AtCommit) -> None:
        """Run `work` once, right before the transaction commits (`defer_to_commit`)."""
        defer_to_commit(self.session, key, work)
