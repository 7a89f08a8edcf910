"""What every route module shares: the unit of work of a request and who may change things."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import JSONResponse

from billing.adapters.unit_of_work import SqlUnitOfWork
from servicekit.api import NO_NUL, ErrorTable, problems_from
from servicekit.auth import Role, require_for_changes
from servicekit.http import idempotent, json_answer
from servicekit.runtime import runtime_of

InvoiceId = Annotated[str, Path(pattern=NO_NUL)]

# Reads need any role (checked by servicekit's runtime); recording payments needs accounting.
ACCOUNTING_FOR_CHANGES = [Depends(require_for_changes(Role.ACCOUNTING))]


async def _unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """The request's own session; a route that changes state opens its transaction."""
    async with runtime_of(request).sessionmaker() as session:
        yield SqlUnitOfWork(session)


UnitOfWorkDep = Annotated[SqlUnitOfWork, Depends(_unit_of_work)]


async def created_once(
    request: Request,
    uow: SqlUnitOfWork,
    *,
    scope: str,
    key: str | None,
    body: Any,
    create: Callable[[], Awaitable[tuple[int, Any]]],
    refusals: ErrorTable | None = None,
    first: Callable[[], Awaitable[None]] | None = None,
) -> JSONResponse:
    """Run `create` in one transaction, once per Idempotency-Key: a retry with the same key gets
    the first response. `refusals` are answered as problems; `first` runs in the transaction
    before the key is looked up (a lock, so a retry racing its original waits for it)."""

    async def refused_as_problems() -> tuple[int, Any]:
        with problems_from(refusals or {}):
            return await create()

    async with uow.session.begin():
        if first is not None:
            await first()
        status, response = await idempotent(
            uow.session,
            runtime_of(request).metadata,
            scope=scope,
            key=key,
            body=body,
            create=refused_as_problems,
        )
    return json_answer(status, response)
