"""Waking a background loop when another transaction commits work for it (LISTEN/NOTIFY).

The writer calls `notify(session, channel)` in the transaction that writes the work: PostgreSQL
delivers the notification only when that transaction commits (and never if it rolls back). The
loop keeps a `Listener` on a connection of its own and wakes on each notification; it still
polls, so a notification lost with a dropped connection only delays the work until the next
poll.

    listener = Listener(database_url, "webhook_deliveries", loop.wake)
    async def round() -> float | None:
        await listener.ensure()        # (re)connects when needed; cheap otherwise
        ...
    loop = BackgroundLoop("...", round, interval=5.0, on_error=listener.close)
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    UpdateBase,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from servicekit.db import asyncpg_dsn

# The transactions and savepoints that have sent a NOTIFY, by channel: PostgreSQL delivers one
# notification per channel and payload at commit however many were sent, so a second one is a
# wasted round trip. Keyed by the innermost transaction: a NOTIFY sent in a savepoint that rolls
# back is gone, and the outer transaction sends its own.
_notified: weakref.WeakKeyDictionary[SessionTransaction, set[str]] = weakref.WeakKeyDictionary()


_NOTIFY = text("SELECT pg_notify(:channel, '')")


async def notify(session: AsyncSession, channel: str) -> None:
    """Wake the listeners of `channel` once the session's transaction commits."""
    if not notification_due(session, channel):
        return
    await session.execute(_NOTIFY, {"channel": channel})
    notified(session, channel)


async def insert_and_notify(
    session: AsyncSession, insert: Insert, values: Mapping[str, Any], channel: str
) -> None:
    """Execute `insert` with `values` and `notify(session, channel)`, both in one round trip.

    `insert` names its values as bind parameters (`.values(sku=bindparam("new_sku"))`): a
    statement in a `WITH` takes no values by column as a plain INSERT does.

    The first time in a transaction the INSERT goes in a `WITH` of the `SELECT pg_notify`
    (PostgreSQL runs a data-modifying `WITH` once, whether or not the query reads it); after
    that the INSERT goes alone, the transaction having sent its notification already.
    """
    if not notification_due(session, channel):
        await session.execute(insert, values)
        return
    await session.execute(_notifying(insert), {**values, "channel": channel})
    notified(session, channel)


def notification_due(session: AsyncSession, channel: str) -> bool:
    """Whether the session's transaction has yet to notify `channel`: for a statement of the
    caller's own that sends it (`SELECT pg_notify(:channel, '')` among its columns), after which
    the caller says so with `notified`."""
    return channel not in _channels_sent(session)


def notified(session: AsyncSession, channel: str) -> None:
    """The session's transaction has notified `channel` (see `notification_due`)."""
    _channels_sent(session).add(channel)


def with_parts(
    answer: ColumnElement[Any], parts: Mapping[str, UpdateBase], *, notify: bool
) -> Select[Any]:
    """One statement: the SELECT of `answer` (its one column), running each of `parts` as a
    data-modifying `WITH` named by its key (PostgreSQL runs each once, read or not); with
    `notify`, it also wakes the listeners of `:channel` at commit (one row, so one call)."""
    columns: list[ColumnElement[Any]] = [answer]
    if notify:
        columns.append(notification())
    statement = select(*columns)
    for name, part in parts.items():
        statement = statement.add_cte(part.cte(name))
    return statement


def notification() -> ColumnElement[Any]:
    """A column that wakes the listeners of `:channel` at commit (`notified`), for a statement
    of one row (one call)."""
    return func.pg_notify(bindparam("channel"), literal_column("''")).label("notified")


@functools.cache  # per INSERT statement, itself built once by the caller
def _notifying(insert: Insert) -> Select[Any]:
    """`insert` as the `WITH` of a `SELECT pg_notify(:channel, '')`."""
    notify_once = select(func.pg_notify(bindparam("channel"), literal_column("''")))
    return notify_once.add_cte(insert.cte("added"))


def _channels_sent(session: AsyncSession) -> set[str]:
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    return set() if transaction is None else _notified.setdefault(transaction, set())


class Listener:
    """A connection of its own that LISTENs on `channel` and calls `wake()` on each NOTIFY."""

    def __init__(self, database_url: str, channel: str, wake: Callable[[], None]) -> None:
        self.database_url = database_url
        self.channel = channel
        self.wake = wake
        self._connection: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def ensure(self) -> bool:
        """Listen, connecting first when there is no open connection; True when it (re)connected
        (the caller should then look for work written while nobody listened)."""
        if self.listening:
            return False
        await self.close()
        self._connection = await asyncpg.connect(asyncpg_dsn(self.database_url))
        await self._connection.add_listener(self.channel, self._notified)
        return True

    def _notified(self, *_: Any) -> None:
        self.wake()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()
