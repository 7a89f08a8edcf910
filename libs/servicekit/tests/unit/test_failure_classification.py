"""Which failures a consumer retries at once, waits out, or dead-letters (docs/adr/0002)."""

from __future__ import annotations

import asyncpg
import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from servicekit.failures import (
    FailureKind,
    PermanentError,
    classify_failure,
    database_unavailable,
    sqlstate_of,
)


def as_sqlalchemy_raises(error: Exception) -> DBAPIError:
    """The error chain SQLAlchemy's asyncpg dialect raises: DBAPIError → adapted → asyncpg."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(error), error)  # type: ignore[no-untyped-call]
    adapted.__cause__ = error
    wrapped = DBAPIError.instance("UPDATE t SET x = 1", {}, adapted, AsyncAdapt_asyncpg_dbapi.Error)
    assert isinstance(wrapped, DBAPIError)
    wrapped.__cause__ = adapted
    return wrapped


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (asyncpg.exceptions.SerializationError("could not serialize"), FailureKind.CONFLICT),
        (asyncpg.exceptions.DeadlockDetectedError("deadlock detected"), FailureKind.CONFLICT),
        (asyncpg.exceptions.AdminShutdownError("terminating"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.CrashShutdownError("crash"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.CannotConnectNowError("starting up"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.TooManyConnectionsError("too many"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.ConnectionFailureError("08006"), FailureKind.UNAVAILABLE),
        (asyncpg.exceptions.InvalidTextRepresentationError("22P02"), FailureKind.PERMANENT),
        (asyncpg.exceptions.NumericValueOutOfRangeError("22003"), FailureKind.PERMANENT),
        (asyncpg.exceptions.UniqueViolationError("23505"), FailureKind.PERMANENT),
        (asyncpg.exceptions.CheckViolationError("23514"), FailureKind.PERMANENT),
        (asyncpg.exceptions.UndefinedTableError("42P01"), FailureKind.UNKNOWN),
    ],
)
def test_sqlstate_decides_through_the_sqlalchemy_wrapping(
    error: Exception, kind: FailureKind
) -> None:
    wrapped = as_sqlalchemy_raises(error)
    assert sqlstate_of(wrapped) == error.sqlstate  # type: ignore[attr-defined]
    assert classify_failure(wrapped) is kind
    assert classify_failure(error) is kind  # also when raised bare


def test_a_handlers_own_error_raised_from_a_database_error_keeps_its_sqlstate() -> None:
    own = RuntimeError("could not reserve")
    own.__cause__ = as_sqlalchemy_raises(asyncpg.exceptions.SerializationError("lost"))
    assert classify_failure(own) is FailureKind.CONFLICT


def test_an_error_merely_raised_while_handling_another_is_judged_by_itself() -> None:
    other = RuntimeError("something else went wrong")
    other.__context__ = asyncpg.exceptions.UniqueViolationError("dup")  # no `from`
    assert classify_failure(other) is FailureKind.UNKNOWN


class Model(BaseModel):
    number: int


def test_refusals_are_permanent_and_other_errors_unknown() -> None:
    with pytest.raises(ValidationError) as invalid:
        Model.model_validate({"number": "many"})
    assert classify_failure(invalid.value) is FailureKind.PERMANENT
    assert classify_failure(PermanentError("no such product")) is FailureKind.PERMANENT
    assert classify_failure(RuntimeError("bug")) is FailureKind.UNKNOWN
    assert classify_failure(KeyError("sku")) is FailureKind.UNKNOWN


def test_connection_errors_without_sqlstate_wait_for_the_database() -> None:
    assert classify_failure(ConnectionRefusedError(111, "refused")) is FailureKind.UNAVAILABLE
    assert classify_failure(TimeoutError()) is FailureKind.UNAVAILABLE
    closed = asyncpg.exceptions.InterfaceError("connection is closed")
    assert classify_failure(SAInterfaceError("SELECT 1", {}, closed)) is FailureKind.UNAVAILABLE


def test_a_statement_with_more_parameters_than_asyncpg_carries_is_permanent() -> None:
    # Not an outage, though asyncpg says it with an InterfaceError, as it says a closed
    # connection: the same statement fails the same way every time.
    refused = asyncpg.exceptions.InterfaceError("the number of query arguments cannot exceed 32767")
    adapted = AsyncAdapt_asyncpg_dbapi.InterfaceError(str(refused), refused)  # type: ignore[no-untyped-call]
    wrapped = SAInterfaceError("SELECT", {}, adapted)
    wrapped.orig.__cause__ = refused  # type: ignore[union-attr]
    assert classify_failure(wrapped) is FailureKind.PERMANENT
    assert not database_unavailable(wrapped)


def test_a_value_asyncpg_refuses_before_sending_it_is_permanent() -> None:
    from asyncpg.exceptions import _base

    refused = _base.DataError("invalid input for query argument $1: 'x'")
    adapted = AsyncAdapt_asyncpg_dbapi.InterfaceError("x", refused)  # type: ignore[no-untyped-call]
    wrapped = SAInterfaceError("INSERT", {}, adapted)
    wrapped.orig.__cause__ = refused  # type: ignore[union-attr]
    assert classify_failure(wrapped) is FailureKind.PERMANENT


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (as_sqlalchemy_raises(asyncpg.exceptions.AdminShutdownError("terminating")), True),
        (as_sqlalchemy_raises(asyncpg.exceptions.CannotConnectNowError("starting up")), True),
        (as_sqlalchemy_raises(asyncpg.exceptions.TooManyConnectionsError("too many")), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("gone"), True),
        (PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached"), True),
        (as_sqlalchemy_raises(asyncpg.exceptions.UniqueViolationError("23505")), False),
        (as_sqlalchemy_raises(asyncpg.exceptions.SerializationError("40001")), False),
        (as_sqlalchemy_raises(asyncpg.exceptions.UndefinedTableError("42P01")), False),
    ],
)
def test_an_http_request_calls_the_database_unavailable_only_for_an_outage(
    error: Exception, unavailable: bool
) -> None:
    assert database_unavailable(error) is unavailable


def test_an_os_error_is_the_databases_only_when_its_client_raised_it() -> None:
    # Raised here, by the service's own code (a file, a socket of its own): not the database.
    with pytest.raises(ConnectionRefusedError) as own:
        raise ConnectionRefusedError(111, "refused")
    assert not database_unavailable(own.value)
    assert not database_unavailable(TimeoutError())
