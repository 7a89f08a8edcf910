"""What every route module shares: the request's unit of work, roles, refusals as problems,
and the pieces of the bodies (SKU, quantities out)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, PlainSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.transaction import in_transaction
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.domain.model import DomainError, UnknownProduct, UnknownShipment, tidy
from inventory.domain.purchasing import (
    NotPurchasable,
    UnknownPurchaseOrder,
    UnknownReorderPoint,
    UnknownVendor,
)
from inventory.domain.returns import DispositionMismatch, UnknownReturn
from inventory.domain.warehouses import UnknownWarehouse
from inventory.service_layer.ports import UnitOfWork
from inventory.service_layer.warehouses import UnknownTransfer, WarehouseNotFound
from servicekit.api import ErrorTable, Storable, described_problems, problems_from
from servicekit.auth import Role, require
from servicekit.http import Conflict, InvalidInput, NotFound, idempotent, json_answer
from servicekit.runtime import Runtime, runtime_of

# --- dependencies -------------------------------------------------------------------------------


async def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


async def _unit_of_work(runtime: RuntimeDep) -> AsyncIterator[UnitOfWork]:
    """A unit of work over the request's own session, for reading only: its statements run
    without a transaction around them (ADR 36), so nothing may write through it."""
    async with runtime.read_sessionmaker() as session:
        yield SqlUnitOfWork(session)


UnitOfWorkDep = Annotated[UnitOfWork, Depends(_unit_of_work)]

# Text filters of lists: PostgreSQL cannot store (nor compare) NUL characters.
OrderIdQuery = Annotated[str | None, Query(max_length=200), Storable]
SkuQuery = Annotated[str | None, Query(max_length=64), Storable]

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]

# Reading is open to every role (the runtime checks the token); changing stock is warehouse work,
# buying is purchasing's, opening a customer's return is sales'.
WAREHOUSE_ONLY = [Depends(require(Role.WAREHOUSE))]
PURCHASING_ONLY = [Depends(require(Role.PURCHASING))]
SALES_ONLY = [Depends(require(Role.SALES))]

PROBLEMS = described_problems(
    {
        404: "Unknown resource",
        409: "Refused in the current state; nothing changed",
        422: "Invalid input; `errors` name the fields",
    }
)

# Domain refusals as problems: unknown product, vendor, purchase order or return → 404, a line
# that cannot be bought or a receipt of a return that misses a line → 422 naming the field, any
# other rule → 409 (naming the SKU).
REFUSALS: ErrorTable = {
    UnknownProduct: lambda exc: NotFound(str(exc), sku=exc.sku),
    UnknownVendor: lambda exc: NotFound(str(exc)),
    UnknownPurchaseOrder: lambda exc: NotFound(str(exc)),
    UnknownReorderPoint: lambda exc: NotFound(str(exc), sku=exc.sku),
    UnknownReturn: lambda exc: NotFound(str(exc)),
    UnknownShipment: lambda exc: NotFound(str(exc)),
    DispositionMismatch: lambda exc: InvalidInput.field("lines", str(exc)),
    NotPurchasable: lambda exc: InvalidInput.field(exc.field, str(exc)),
    WarehouseNotFound: lambda exc: NotFound(str(exc)),
    UnknownTransfer: lambda exc: NotFound(str(exc)),
    # A field that names its place (query.warehouse) as it is; a bare one is the body's.
    UnknownWarehouse: lambda exc: InvalidInput.field(
        exc.field if "." in exc.field else f"body.{exc.field}", str(exc)
    ),
    DomainError: lambda exc: Conflict(str(exc), sku=getattr(exc, "sku", None)),
}


T = TypeVar("T")


async def change(runtime: Runtime, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`work` in a transaction of its own (rerun on a deadlock), with refusals as problems."""

    async def attempt(session: AsyncSession) -> T:
        with problems_from(REFUSALS):
            return await work(SqlUnitOfWork(session))

    return await in_transaction(runtime.sessionmaker, attempt)


async def create_once(
    runtime: Runtime,
    *,
    scope: str,
    idempotency_key: str | None,
    body: BaseModel,
    create: Callable[[UnitOfWork], Awaitable[BaseModel]],
) -> JSONResponse:
    """201 with what `create` made, made once per Idempotency-Key (a retry gets the first)."""

    async def attempt(session: AsyncSession) -> tuple[int, Any]:
        async def created() -> tuple[int, Any]:
            with problems_from(REFUSALS):
                read = await create(SqlUnitOfWork(session))
            return 201, read  # dumped once by `idempotent`

        return await idempotent(
            session,
            runtime.metadata,
            scope=scope,
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            create=created,
        )

    status, content = await in_transaction(runtime.sessionmaker, attempt)
    return json_answer(status, content)


# --- body pieces --------------------------------------------------------------------------------

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=SKU_PATTERN)]
# Out: a decimal string without trailing zeros ("10", "2.5"), never in exponent notation.
QuantityOut = Annotated[Decimal, PlainSerializer(lambda q: str(tidy(q)), return_type=str)]
