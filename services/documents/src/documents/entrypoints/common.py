"""What every route module shares: the request's unit of work, roles, refusals as problems,
cursors and pages, creating once per Idempotency-Key, and caching headers of stored files."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.emails import IllegalTransition
from documents.service_layer.mailing import DocumentNotFound, EmailNotFound
from documents.service_layer.templating import TemplateConflict, TemplateNotFound
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit import concurrency
from servicekit.api import ErrorTable, problems_from
from servicekit.auth import Role, require
from servicekit.http import Conflict, NotFound, idempotent, json_answer
from servicekit.pagination import aware_datetime, cursor_position, text
from servicekit.runtime import runtime_of

# Who sends documents: sales (confirmations, quotations) and accounting (invoices, credit
# notes); admin may do everything as well.
SENDERS = [Depends(require(Role.SALES, Role.ACCOUNTING))]

# The use cases' refusals as problems.
REFUSALS: ErrorTable = {
    DocumentNotFound: NotFound,
    EmailNotFound: NotFound,
    TemplateNotFound: NotFound,
    IllegalTransition: Conflict,
    TemplateConflict: Conflict,
}


async def _unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """A unit of work over the request's own session, for reading only: its statements run
    without a transaction around them (ADR 36), so nothing may write through it."""
    async with runtime_of(request).read_sessionmaker() as session:
        yield SqlUnitOfWork(session)


ReadingUnitOfWork = Annotated[SqlUnitOfWork, Depends(_unit_of_work)]

IfNoneMatch = Annotated[str | None, Header(max_length=500)]

WakeSender = Callable[[], None]
"""Tells the e-mail sender that an e-mail was queued (a no-op where no sender runs)."""


def _created_at_and_uuid(position: dict[str, Any]) -> tuple[datetime, uuid.UUID]:
    return aware_datetime(position["created_at"]), uuid.UUID(text(position["id"]))


def position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) a page resumes after; a cursor that is not ours is a 422."""
    return cursor_position(cursor, _created_at_and_uuid)


T = TypeVar("T")


async def in_transaction(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`work` in a transaction of its own, with refusals as problems."""
    async with runtime_of(request).sessionmaker() as session, session.begin():
        with problems_from(REFUSALS):
            return await work(SqlUnitOfWork(session))


async def create_once(
    request: Request,
    *,
    scope: str,
    idempotency_key: str | None,
    body: Any,
    create: Callable[[UnitOfWork], Awaitable[BaseModel]],
    status: int,
) -> JSONResponse:
    """`status` with what `create` made, made once per Idempotency-Key (a retry gets the
    first response); `body` is what a retry with the same key must repeat."""
    runtime = runtime_of(request)
    async with runtime.sessionmaker() as session, session.begin():

        async def created() -> tuple[int, Any]:
            with problems_from(REFUSALS):
                read = await create(SqlUnitOfWork(session))
            return status, read  # dumped once by `idempotent`

        code, content = await idempotent(
            session,
            runtime.metadata,
            scope=scope,
            key=idempotency_key,
            body=body,
            create=created,
        )
    return json_answer(code, content)


# --- stored files -------------------------------------------------------------------------------


def file_headers(sha256: str) -> dict[str, str]:
    """Caching headers of a stored file: its checksum is its ETag."""
    return {"ETag": f'"{sha256}"', "Cache-Control": "private, no-cache"}


def not_modified(sha256: str, if_none_match: str | None) -> bool:
    """The client's copy (If-None-Match, RFC 9110 weak comparison) is this file: answer 304."""
    return concurrency.not_modified(if_none_match, f'"{sha256}"')
