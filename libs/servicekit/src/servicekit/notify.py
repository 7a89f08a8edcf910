"""Waking a background loop when another transaction commits work for it (LISTEN/NOTIFY).

The writer calls `wake_after_commit(session, channel)` in the transaction that writes the work.
Once that transaction commits, a NOTIFY goes out to the same database on a connection of its
own (one per engine), in a transaction of its own; never if it rolls back. Not in the writer's
transaction: PostgreSQL serializes the commits of all transactions that sent a NOTIFY,
server-wide, holding one lock from before each commit until after its WAL flush (ADR 45). The
NOTIFYs of one engine go one round trip at a time, and the wake-ups asked for meanwhile go
together in the next (one per channel): under load, one NOTIFY wakes a loop for many commits.

The loop keeps a `Listener` on a connection of its own and wakes on each notification; it still
polls, so a wake-up lost (a crash between a commit and its NOTIFY, a dropped connection) only
delays the work until the next poll.

A loop of the writer's own process that is, for the moment, the only one with work to do on a
channel (an outbox relay holding every shard) says so with `wake_in_process`: commits of that
process on the same database then wake it directly, without a NOTIFY (ADR 52).

    listener = Listener(database_url, "webhook_deliveries", loop.wake)
    async def round() -> float | None:
        await listener.ensure()        # (re)connects when needed; cheap otherwise
        ...
    loop = BackgroundLoop("...", round, interval=5.0, on_error=listener.close)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Engine, event
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from servicekit.db import asyncpg_dsn

log = logging.getLogger(__name__)

# One statement for every channel due: PostgreSQL delivers one notification per channel and
# payload of a transaction, so a channel asked for twice is sent once.
_NOTIFY_ALL = "SELECT pg_notify(channel, '') FROM unnest($1::text[]) AS channel"

# The wake-ups a session's transaction asked for, in its `info`: (the engine's waker, channels).
_WAKES = "servicekit.wakes_after_commit"


@dataclass(frozen=True, eq=False)
class _InProcess:
    """A loop of this process that a commit may wake directly while `alone()` holds."""

    wake: Callable[[], None]
    alone: Callable[[], bool]
    loop: asyncio.AbstractEventLoop  # its loop's; a test's finished loop is never woken


# By (database, channel): the loops of this process that listen there (`wake_in_process`).
_in_process: dict[tuple[str, str], list[_InProcess]] = {}


def wake_in_process(
    database_url: str, channel: str, wake: Callable[[], None], alone: Callable[[], bool]
) -> Callable[[], None]:
    """Let this process's commits on `database_url` call `wake()` instead of sending a NOTIFY
    on `channel`, whenever `alone()` is true: the caller is then the only loop, of any process,
    whose work the wake-up announces. Returns the call that undoes it (a loop that stops).

    Called on the running event loop; only commits on that loop take the shortcut."""
    key = (asyncpg_dsn(database_url), channel)
    entry = _InProcess(wake, alone, asyncio.get_running_loop())
    _in_process.setdefault(key, []).append(entry)

    def undo() -> None:
        entries = _in_process.get(key, [])
        if entry in entries:
            entries.remove(entry)
        if not entries:
            _in_process.pop(key, None)

    return undo


def _woken_in_process(dsn: str, channel: str, loop: asyncio.AbstractEventLoop) -> bool:
    """Wake the loop of this process that is alone on `channel`, if there is one."""
    for entry in _in_process.get((dsn, channel), ()):
        if entry.loop is loop and entry.alone():
            entry.wake()
            return True
    return False


def wake_after_commit(session: AsyncSession, channel: str) -> None:
    """Wake the listeners of `channel` once the session's transaction commits (not at all if it
    rolls back; a savepoint rolled back keeps the transaction's wake-up, at worst a loop finds
    nothing to do)."""
    due: tuple[_Waker, set[str]] | None = session.info.get(_WAKES)
    if due is None:  # the transaction's first: find its engine's waker once
        bind = session.bind
        engine = bind.engine if isinstance(bind, AsyncConnection) else bind
        if not isinstance(engine, AsyncEngine):
            raise TypeError("wake_after_commit needs a session bound to an engine or a connection")
        due = session.info[_WAKES] = (_waker_of(engine), set())
    due[1].add(channel)


@listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    # Also called when a savepoint is released, which is not the commit the wake-up waits for.
    if session.in_nested_transaction():
        return
    due: tuple[_Waker, set[str]] | None = session.info.pop(_WAKES, None)
    if due is not None:
        waker, channels = due
        if waker.wake(channels):
            # The commit runs in SQLAlchemy's greenlet: yield to the event loop once, so the
            # NOTIFY is on its way before the committer's caller goes on (an HTTP answer is
            # built and sent before the loop would run the waker otherwise).
            await_only(asyncio.sleep(0))


@listens_for(Session, "after_transaction_end")
def _forget_wakes(session: Session, transaction: SessionTransaction) -> None:
    """The wake-ups of a transaction that rolled back are not sent by the session's next one."""
    if transaction.parent is None:
        session.info.pop(_WAKES, None)


class _Waker:
    """Sends the NOTIFYs due after the commits of one engine's sessions: on a connection of its
    own (a plain asyncpg connection: a pooled one cost more to check out and in than the NOTIFY
    itself), one round trip at a time, each for every channel asked for since the last. A
    channel whose only loop is in this process is woken directly instead."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._dsn = asyncpg_dsn(engine.url.render_as_string(hide_password=False))
        self._connection: asyncpg.Connection | None = None
        self._due: set[str] = set()
        self._sending: asyncio.Task[None] | None = None
        # Disposing of the engine (a shutdown, a test's end) closes this connection too.
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    def wake(self, channels: Iterable[str]) -> bool:
        """Wake each of `channels`: directly when its only loop is in this process, else by a
        NOTIFY after the one on its way, if any; True if this starts the sending (none was on
        its way)."""
        loop = asyncio.get_running_loop()
        remote = [
            channel for channel in channels if not _woken_in_process(self._dsn, channel, loop)
        ]
        if not remote:
            return False
        self._due.update(remote)
        if self._sending is None or self._sending.done() or self._sending.get_loop() is not loop:
            self._sending = loop.create_task(self._send())
            _sending.add(self._sending)
            self._sending.add_done_callback(_sending.discard)
            return True
        return False

    async def _send(self) -> None:
        while self._due:
            channels, self._due = sorted(self._due), set()
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(self._dsn)
                # No transaction around it: the statement commits on its own.
                await self._connection.execute(_NOTIFY_ALL, channels)
            except Exception as exc:  # the loops poll: a lost wake-up only delays their work
                log.warning("could not wake the listeners of %s: %s", ", ".join(channels), exc)
                self._disposed()  # connect again next time

    def _disposed(self, *_: Any) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()


# One waker per engine (by its synchronous engine, which an AsyncEngine proxies).
_wakers: weakref.WeakKeyDictionary[Engine, _Waker] = weakref.WeakKeyDictionary()
# The NOTIFYs on their way, kept referenced until done (the event loop keeps only weak ones).
_sending: set[asyncio.Task[None]] = set()


def _waker_of(engine: AsyncEngine) -> _Waker:
    waker = _wakers.get(engine.sync_engine)
    if waker is None:
        waker = _wakers[engine.sync_engine] = _Waker(engine)
    return waker


async def wakes_sent() -> None:
    """Wait for the NOTIFYs on their way (before the engines they use are disposed)."""
    while _sending:
        await asyncio.gather(*_sending, return_exceptions=True)


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
