"""HTTP conventions shared by the services: RFC 9457 problems, Idempotency-Key, cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import cache
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import (
    Delete,
    Insert,
    Interval,
    MetaData,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.failures import FailureKind, classify_failure, database_unavailable

PROBLEM_JSON = "application/problem+json"

# What a 503 for a database away tells clients to wait: a restart or a failover takes seconds.
DATABASE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error answered as `application/problem+json`."""

    status = 400
    title = "Bad request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions


class NotFound(Problem):
    status = 404
    title = "Not found"


class Conflict(Problem):
    """The request is valid but not in the resource's current state (an illegal transition)."""

    status = 409
    title = "Conflict"


class PreconditionFailed(Problem):
    """An `If-Match` precondition failed: the resource changed since the client read it."""

    status = 412
    title = "Precondition Failed"


class InvalidInput(Problem):
    status = 422
    title = "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(message, errors=[{"field": field, "message": message}])


def problem_response(
    status: int,
    title: str,
    detail: str,
    instance: str,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 body; extension members never override the standard ones."""
    body: dict[str, Any] = {k: v for k, v in (extensions or {}).items() if v is not None}
    body.update(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": instance,
        }
    )
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


# The bound a validation error names (`min_length`, `gt`, ...), given to clients as an optional
# `limit` next to pydantic's `type`, so they can say "at least 3 characters" in their own words.
_LIMITS = ("min_length", "max_length", "gt", "ge", "lt", "le")


def _limit(context: Any) -> dict[str, str]:
    if not isinstance(context, dict):
        return {}
    for name in _LIMITS:
        if name in context:
            return {"limit": str(context[name])}
    return {}


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every error into problem+json; validation errors name the fields at fault."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            request.url.path,
            {**exc.extensions, "errors": exc.errors},
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": _field_path(error["loc"]),
                "message": error["msg"],
                "type": error["type"],
                **_limit(error.get("ctx")),
            }
            for error in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(
            422, "Invalid input", f"Invalid fields: {fields}", request.url.path, {"errors": errors}
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            exc.status_code, _reason(exc.status_code), str(exc.detail), request.url.path
        )

    async def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IntegrityError)
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        if constraint == "pk_idempotency_keys":
            detail = "a request with this Idempotency-Key is in progress; retry it later"
        else:
            detail = "the request conflicts with data changed at the same time; retry it"
        return problem_response(409, "Conflict", detail, request.url.path)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            500,
            "Internal Server Error",
            "the service failed to handle the request; it has been logged",
            request.url.path,
        )

    async def on_database_or_system(request: Request, exc: Exception) -> JSONResponse:
        if classify_failure(exc) is FailureKind.CONFLICT:
            # A deadlock or a serialization failure: the transaction lost a race and was rolled
            # back whole, so the same request sent again may well succeed (as a unique
            # violation's 409 says; with its Idempotency-Key where it has one).
            log.warning(
                "concurrent change on %s %s: %s",
                request.method,
                request.url.path,
                f"{type(exc).__name__}: {exc}"[:300],
            )
            return problem_response(
                409,
                "Conflict",
                "the request conflicted with changes made at the same time and was undone; "
                "retry it",
                request.url.path,
            )
        if not database_unavailable(exc):
            return await on_unexpected(request, exc)
        # The database is away (a restart, a failover, no connection free): a client may retry,
        # with its Idempotency-Key where the request has one; readiness says the same meanwhile.
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            f"{type(exc).__name__}: {exc}"[:300],
        )
        return problem_response(
            503,
            "Service Unavailable",
            "the service's database is unavailable for the moment; retry the request later",
            request.url.path,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(Exception, on_unexpected)
    # Not the catch-all `Exception` (Starlette re-raises from that one, and the server logs a
    # traceback per request): these are answered here, 503 when the database is away.
    app.add_exception_handler(SQLAlchemyError, on_database_or_system)
    app.add_exception_handler(OSError, on_database_or_system)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --- Idempotency-Key ------------------------------------------------------------------------


IDEMPOTENCY_TTL = timedelta(hours=24)
"""How long an Idempotency-Key is remembered unless the service configures otherwise."""

IDEMPOTENCY_TTL_INFO = "servicekit.idempotency_ttl"
"""The `session.info` entry (a timedelta) with the service's own TTL; the runtime's
sessionmaker sets it from the service settings (`info={IDEMPOTENCY_TTL_INFO: ttl}`)."""


def request_fingerprint(body: Any) -> str:
    canonical = json_text(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def json_text(value: Any, **options: Any) -> str:
    """`value` as JSON text (`json.dumps` with `options`).

    A value made of JSON types already, as `model_dump(mode="json")` gives, is written as it
    is; anything else (dates, decimals, models) goes through FastAPI's `jsonable_encoder`
    first. Walking a JSON-ready body again in Python cost more than the rest of its encoding.
    """
    try:
        return json.dumps(value, **options)
    except TypeError:
        return json.dumps(jsonable_encoder(value), **options)


def idempotency_scope(scope: str, subject: str | None) -> str:
    """The stored scope of a key: the route's `scope` and who asked.

    Two callers using the same key do not see each other's responses. The subject is stored as
    a SHA-256 digest: it fits the column whatever its length and keeps user ids out of a table
    that is not about users. Without a subject (no token) the scope is the route's alone.
    """
    if subject is None:
        return scope
    scoped = f"{scope}#{hashlib.sha256(subject.encode()).hexdigest()}"
    return scoped if len(scoped) <= 200 else hashlib.sha256(scoped.encode()).hexdigest()


def idempotency_ttl(session: AsyncSession) -> timedelta:
    """The TTL the service configured on its sessionmaker, else `IDEMPOTENCY_TTL`."""
    ttl = session.info.get(IDEMPOTENCY_TTL_INFO, IDEMPOTENCY_TTL)
    assert isinstance(ttl, timedelta)
    return ttl


class _IdempotencyStatements(NamedTuple):
    read: Select[Any]
    forget: Delete
    remember: Insert


@cache  # built once per table: building them for every request cost more than sending them
def _idempotency_statements(table: Table) -> _IdempotencyStatements:
    """Read a key's stored response (and whether it expired), forget it once expired, remember
    a new one; for the parameters `scope`, `key` and `ttl`."""
    this_key = (table.c.scope == bindparam("scope"), table.c.key == bindparam("key"))
    expired = table.c.created_at < func.now() - bindparam("ttl", type_=Interval)
    return _IdempotencyStatements(
        read=select(
            table.c.fingerprint, table.c.status_code, table.c.body, expired.label("expired")
        ).where(*this_key),
        forget=delete(table).where(*this_key, expired),
        # The response comes as JSON text (`body_json`): the server parses it once, where a
        # dict would be walked and dumped again on its way there.
        remember=insert(table).values(
            body=cast(bindparam("body_json", type_=Text), table.c.body.type)
        ),
    )


async def idempotent(
    session: AsyncSession,
    metadata: MetaData,
    *,
    scope: str,
    key: str | None,
    body: Any,
    create: Callable[[], Awaitable[tuple[int, Any]]],
    ttl: timedelta | None = None,
) -> tuple[int, Any]:
    """Run `create` once per (caller, scope, key); a retry with the same key returns the first
    response.

    The caller is the subject of the request's token (`servicekit.auth.current_actor()`), so
    two users who happen to pick the same key each get what they asked for. A key is remembered
    for `ttl` (default: the service's setting, see `idempotency_ttl`); after that it counts as
    new. Call inside the creating transaction, so the stored response commits with what it
    created. A key reused with a different body is refused (422) rather than silently ignored.
    A model that `create` answers with comes back dumped once, as JSON text (`DumpedJson`); a
    retry gets the stored JSON read back. `json_answer` makes either the HTTP answer.
    When two requests race with one key, the second fails on the primary key at flush and its
    transaction rolls back: nothing is created twice.
    """
    # Imported here: servicekit.auth builds on this module's Problem.
    from servicekit.auth import current_actor

    if key is None:
        status, response = await create()
        return status, _dumped(response)
    if not 1 <= len(key) <= 200:
        raise InvalidInput.field("header.Idempotency-Key", "must be 1 to 200 characters")
    statements = _idempotency_statements(metadata.tables["idempotency_keys"])
    this_key = {
        "scope": idempotency_scope(scope, current_actor()),
        "key": key,
        "ttl": ttl or idempotency_ttl(session),
    }
    fingerprint = request_fingerprint(body)
    stored = (await session.execute(statements.read, this_key)).first()
    if stored is not None and stored.expired:
        # Forgotten: the key starts afresh. (A racing request doing the same finds the row
        # gone, then meets this one's new row on the primary key, as for any race.)
        await session.execute(statements.forget, this_key)
        stored = None
    if stored is not None:
        if stored.fingerprint != fingerprint:
            raise InvalidInput.field(
                "header.Idempotency-Key", "this key was already used with a different request"
            )
        return stored.status_code, stored.body
    status, response = await create()
    response = _dumped(response)
    await session.execute(
        statements.remember,
        {
            "scope": this_key["scope"],
            "key": key,
            "fingerprint": fingerprint,
            "status_code": status,
            "body_json": response.text if isinstance(response, DumpedJson) else json_text(response),
        },
    )
    return status, response


class DumpedJson(NamedTuple):
    """A response already written as JSON text (`idempotent`'s answer for a model)."""

    text: str


def _dumped(response: Any) -> Any:
    """A model as its JSON text, dumped in one pass: that text is both what is stored and what
    is answered (`json_answer`), with no dict between and no second encoding. Anything else
    as it is."""
    if isinstance(response, BaseModel):
        return DumpedJson(response.model_dump_json(by_alias=True))
    return response


def json_answer(status: int, content: Any) -> JSONResponse:
    """The HTTP answer with `idempotent`'s status and content: text dumped already sent as it
    is, anything else (a stored response read back, a JSON value) encoded as JSON."""
    return _JsonAnswer(content, status_code=status)


class _JsonAnswer(JSONResponse):
    def render(self, content: Any) -> bytes:
        if isinstance(content, DumpedJson):
            return content.text.encode()
        return super().render(content)


# --- cursor pagination ------------------------------------------------------------------------


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(jsonable_encoder(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None
    if not isinstance(position, dict):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued")
    return position
