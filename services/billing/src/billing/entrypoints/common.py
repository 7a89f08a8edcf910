"""What every route module shares: the unit of work of a request and who may change things."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request

from billing.adapters.unit_of_work import SqlUnitOfWork
from servicekit.api import NO_NUL
from servicekit.auth import Role, require_for_changes
from servicekit.runtime import runtime_of

InvoiceId = Annotated[str, Path(pattern=NO_NUL)]

# Reads need any role (checked by servicekit's runtime); recording payments needs accounting.
ACCOUNTING_FOR_CHANGES = [Depends(require_for_changes(Role.ACCOUNTING))]


async def _unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """The request's own session; a route that changes state opens its transaction."""
    async with runtime_of(request).sessionmaker() as session:
        yield SqlUnitOfWork(session)


UnitOfWorkDep = Annotated[SqlUnitOfWork, Depends(_unit_of_work)]
