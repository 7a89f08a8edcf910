"""What failed, as the suite's retry decisions need it (docs/adr/0002, 0053).

A consumer reruns, waits out or dead-letters a failed attempt by `classify_failure`, by the
SQLSTATE PostgreSQL reported where there is one. An HTTP request that failed because the database
is away answers 503 with Retry-After rather than 500 (`database_unavailable`).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterator

import asyncpg
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class PermanentError(Exception):
    """The event can never be processed as it is: dead-letter it at once, without retries."""


class FailureKind(enum.Enum):
    CONFLICT = "conflict"  # the transaction lost a race: run it again at once
    UNAVAILABLE = "unavailable"  # the database is away: wait for it, never dead-letter
    PERMANENT = "permanent"  # can never succeed as it is: dead-letter at once
    UNKNOWN = "unknown"  # retry a few times, then dead-letter


_CONFLICT_STATES = frozenset({"40001", "40P01"})
# admin/crash shutdown, starting up, too many connections; plus all of class 08 (connection)
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_UNAVAILABLE_CLASSES = frozenset({"08"})
# data exceptions, integrity constraint violations
_PERMANENT_CLASSES = frozenset({"22", "23"})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver error SQLAlchemy wraps (`orig`) and their explicit causes."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (getattr(current, "orig", None), current.__cause__):
            if isinstance(inner, BaseException):
                pending.append(inner)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE PostgreSQL reported, read through SQLAlchemy's and asyncpg's wrappers."""
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return None


def _is_connection_error(exc: BaseException) -> bool:
    """Database unreachable without a SQLSTATE: connect refused, connection closed, timeout."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError))


def classify_failure(exc: BaseException) -> FailureKind:
    """What a failed attempt to handle an event calls for (see the module's docstring)."""
    if isinstance(exc, (PermanentError, ValidationError)):
        return FailureKind.PERMANENT
    state = sqlstate_of(exc)
    if state is not None:
        if state in _CONFLICT_STATES:
            return FailureKind.CONFLICT
        if state in _UNAVAILABLE_STATES or state[:2] in _UNAVAILABLE_CLASSES:
            return FailureKind.UNAVAILABLE
        if state[:2] in _PERMANENT_CLASSES:
            return FailureKind.PERMANENT
    if any(_refused_by_the_client(cause) for cause in _causes(exc)):
        return FailureKind.PERMANENT
    if _is_connection_error(exc):
        return FailureKind.UNAVAILABLE
    return FailureKind.UNKNOWN


# How asyncpg refuses a statement with more parameters than its protocol carries (32,767).
_TOO_MANY_ARGUMENTS = "the number of query arguments cannot exceed"


def _refused_by_the_client(cause: BaseException) -> bool:
    """asyncpg refused the statement before sending it, for what it holds, with no SQLSTATE: a
    value its column type cannot take (an InterfaceError that is also a ValueError,
    `asyncpg.exceptions._base.DataError`), or more parameters than the protocol carries. The
    same statement fails the same way every time; other InterfaceErrors are about the
    connection."""
    if not isinstance(cause, asyncpg.InterfaceError):
        return False
    return isinstance(cause, ValueError) or str(cause).startswith(_TOO_MANY_ARGUMENTS)


# Where the database client's own code runs: an OSError raised in it is the database's.
_DATABASE_CLIENT_MODULES = ("sqlalchemy.", "asyncpg.")


def _raised_in_database_client(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        module = traceback.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_DATABASE_CLIENT_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def database_unavailable(exc: BaseException) -> bool:
    """`exc` says the database is away or saturated, not that the request was wrong: a
    connection refused or lost, the server shutting down or starting up, too many connections,
    no pooled connection free in time. An OSError counts only when the database client raised
    it (a refused connect comes out of asyncpg as a bare ConnectionRefusedError)."""
    if isinstance(exc, PoolTimeoutError):
        return True
    from_database = isinstance(exc, (SQLAlchemyError, asyncpg.PostgresError))
    if not (from_database or _raised_in_database_client(exc)):
        return False
    return classify_failure(exc) is FailureKind.UNAVAILABLE
