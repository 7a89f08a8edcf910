"""Customers' returns (RMA): authorised against what an order shipped, received, or cancelled."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from inventory.domain.returns import (
    AuthoriseReturn,
    ReceiveReturn,
    ReturnAuthorisation,
    ReturnStatus,
)
from inventory.entrypoints.common import (
    PROBLEMS,
    REFUSALS,
    SALES_ONLY,
    WAREHOUSE_ONLY,
    OrderIdQuery,
    RuntimeDep,
    UnitOfWorkDep,
    change,
    create_once,
)
from inventory.entrypoints.returns_schemas import (
    ReturnCreate,
    ReturnPage,
    ReturnRead,
    ReturnReceipt,
)
from inventory.service_layer import returns
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit, problems_from
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, cursor_position, next_cursor

router = APIRouter(tags=["returns"], responses=PROBLEMS)

ReturnId = Annotated[str, Path(max_length=36)]


@router.post("/returns", status_code=201, response_model=ReturnRead, dependencies=SALES_ONLY)
async def authorise_return(
    body: ReturnCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Authorise a return of shipped goods; 409 naming the SKU for more than was shipped and not
    yet returned."""
    command = AuthoriseReturn(
        order_id=body.order_id,
        lines=tuple((line.sku, line.quantity) for line in body.lines),
        reason=body.reason,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> ReturnRead:
        return ReturnRead.of(await returns.authorise_return(uow, command))

    return await create_once(
        runtime, scope="returns", idempotency_key=idempotency_key, body=body, create=create
    )


def _position(rma: ReturnAuthorisation) -> dict[str, object]:
    return {"created_at": rma.created_at, "id": rma.id}


@router.get("/returns")
async def list_returns(
    uow: UnitOfWorkDep,
    order_id: OrderIdQuery = None,
    status: ReturnStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReturnPage:
    """Returns, oldest first."""
    found, more = await returns.list_returns(
        uow,
        limit=limit,
        after=cursor_position(cursor, created_at_and_id),
        order_id=order_id,
        status=status,
    )
    return ReturnPage(
        items=[ReturnRead.of(r) for r in found], next_cursor=next_cursor(found, more, _position)
    )


@router.get("/returns/{return_id}")
async def get_return(return_id: ReturnId, uow: UnitOfWorkDep) -> ReturnRead:
    """One return, with each line's disposition once received."""
    with problems_from(REFUSALS):
        return ReturnRead.of(await returns.get_return(uow, return_id))


@router.post("/returns/{return_id}/receive", dependencies=WAREHOUSE_ONLY)
async def receive_return(
    return_id: ReturnId, body: ReturnReceipt, runtime: RuntimeDep
) -> ReturnRead:
    """The goods came back: each line restocked or scrapped (422 unless every line, and only
    those, is named); 409 once received or cancelled. Emits return.received."""
    command = ReceiveReturn(
        return_id=return_id,
        dispositions=tuple((line.sku, line.disposition) for line in body.lines),
        note=body.note,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )
    return ReturnRead.of(await change(runtime, lambda uow: returns.receive_return(uow, command)))


@router.post("/returns/{return_id}/cancel", dependencies=SALES_ONLY)
async def cancel_return(return_id: ReturnId, runtime: RuntimeDep) -> ReturnRead:
    """An authorised return that will not come; 409 once received."""
    return ReturnRead.of(await change(runtime, lambda uow: returns.cancel_return(uow, return_id)))
