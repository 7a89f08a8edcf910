"""Warehouses (create, list, rename, deactivate, reactivate, make the default) and the
transfers of stock between them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from inventory.domain.commands import (
    CreateWarehouse,
    ReceiveTransfer,
    TransferStock,
    WarehouseAction,
)
from inventory.domain.warehouses import TransferStatus
from inventory.entrypoints.common import (
    PROBLEMS,
    REFUSALS,
    WAREHOUSE_ONLY,
    RuntimeDep,
    UnitOfWorkDep,
    change,
    create_once,
)
from inventory.entrypoints.warehouses_schemas import (
    WAREHOUSE_PATTERN,
    TransferCreate,
    TransferPage,
    TransferRead,
    WarehouseCreate,
    WarehouseList,
    WarehouseRead,
    WarehouseUpdate,
)
from inventory.service_layer import warehouses
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit, problems_from
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id
from servicekit.pagination import (
    created_at_and_id,
    cursor_position,
    next_cursor,
)

router = APIRouter(tags=["warehouses"], responses=PROBLEMS)

CodePath = Annotated[str, Path(max_length=32, pattern=WAREHOUSE_PATTERN)]
TransferId = Annotated[str, Path(max_length=36)]


@router.post(
    "/warehouses", status_code=201, response_model=WarehouseRead, dependencies=WAREHOUSE_ONLY
)
async def create_warehouse(
    body: WarehouseCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A new active warehouse; 409 when its code exists."""
    command = CreateWarehouse(
        code=body.code,
        name=body.name,
        priority=body.priority,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> WarehouseRead:
        return WarehouseRead.of(await warehouses.create_warehouse(uow, command))

    return await create_once(
        runtime, scope="warehouses", idempotency_key=idempotency_key, body=body, create=create
    )


@router.get("/warehouses")
async def list_warehouses(uow: UnitOfWorkDep) -> WarehouseList:
    """Every warehouse, in the order reservations try them: the default, then by priority
    (inactive ones last)."""
    return WarehouseList(items=[WarehouseRead.of(w) for w in await warehouses.list_warehouses(uow)])


@router.get("/warehouses/{code}")
async def get_warehouse(code: CodePath, uow: UnitOfWorkDep) -> WarehouseRead:
    with problems_from(REFUSALS):
        return WarehouseRead.of(await warehouses.find_warehouse(uow, code))


@router.patch("/warehouses/{code}", dependencies=WAREHOUSE_ONLY)
async def update_warehouse(
    code: CodePath, body: WarehouseUpdate, runtime: RuntimeDep
) -> WarehouseRead:
    """Rename a warehouse or change its `priority` in the reservation rule; 404 unknown.
    Records warehouse.changed (an empty body announces the warehouse as it is)."""
    by = _action(code)
    found = await change(
        runtime,
        lambda uow: warehouses.update_warehouse(
            uow, code, name=body.name, priority=body.priority, by=by
        ),
    )
    return WarehouseRead.of(found)


def _action(code: str) -> WarehouseAction:
    return WarehouseAction(
        code=code, correlation_id=current_correlation_id(), actor=current_actor()
    )


@router.post("/warehouses/{code}/deactivate", dependencies=WAREHOUSE_ONLY)
async def deactivate_warehouse(code: CodePath, runtime: RuntimeDep) -> WarehouseRead:
    """No more reservations, receipts or transfers there; 409 while it holds stock (on hand
    or reserved) or transfers are on their way to it, for the default warehouse, and when it is
    inactive already. Records warehouse.changed."""
    by = _action(code)
    found = await change(runtime, lambda uow: warehouses.deactivate_warehouse(uow, code, by=by))
    return WarehouseRead.of(found)


@router.post("/warehouses/{code}/reactivate", dependencies=WAREHOUSE_ONLY)
async def reactivate_warehouse(code: CodePath, runtime: RuntimeDep) -> WarehouseRead:
    """A deactivated warehouse takes part again; 409 when it is active already. Records
    warehouse.changed."""
    by = _action(code)
    found = await change(runtime, lambda uow: warehouses.reactivate_warehouse(uow, code, by=by))
    return WarehouseRead.of(found)


@router.post("/warehouses/{code}/make-default", dependencies=WAREHOUSE_ONLY)
async def make_default_warehouse(code: CodePath, runtime: RuntimeDep) -> WarehouseRead:
    """This warehouse becomes the default (tried first by the reservation rule; the product's
    reorder point applies there) and the old default an ordinary one: there is always exactly
    one. 409 for an inactive warehouse; already the default: 200, nothing changes. Records
    warehouse.changed for both."""
    by = _action(code)
    found = await change(runtime, lambda uow: warehouses.make_default(uow, code, by=by))
    return WarehouseRead.of(found)


# --- transfers ----------------------------------------------------------------------------------


@router.post(
    "/transfers", status_code=201, response_model=TransferRead, dependencies=WAREHOUSE_ONLY
)
async def create_transfer(
    body: TransferCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Send stock to another warehouse: it leaves the source now (in transit) and is on hand at
    the destination once received. 409 for more than is available; emits transfer.dispatched."""
    command = TransferStock(
        from_warehouse=body.from_warehouse,
        to_warehouse=body.to_warehouse,
        lines=tuple((line.sku, line.quantity) for line in body.lines),
        note=body.note,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> TransferRead:
        return TransferRead.of(await warehouses.transfer_stock(uow, command))

    return await create_once(
        runtime, scope="transfers", idempotency_key=idempotency_key, body=body, create=create
    )


@router.post("/transfers/{transfer_id}/receive", dependencies=WAREHOUSE_ONLY)
async def receive_transfer(transfer_id: TransferId, runtime: RuntimeDep) -> TransferRead:
    """The transfer arrived: on hand at the destination, where waiting orders get reserved;
    409 when it was received already; emits transfer.received."""
    command = ReceiveTransfer(
        transfer_id=transfer_id, correlation_id=current_correlation_id(), actor=current_actor()
    )
    found = await change(runtime, lambda uow: warehouses.receive_transfer(uow, command))
    return TransferRead.of(found)


@router.get("/transfers")
async def list_transfers(
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: TransferStatus | None = None,
) -> TransferPage:
    """Transfers oldest first, filterable by status (`in_transit`, `received`)."""
    found, more = await warehouses.list_transfers(
        uow, limit=limit, status=status, after=cursor_position(cursor, created_at_and_id)
    )
    return TransferPage(
        items=[TransferRead.of(t) for t in found],
        next_cursor=next_cursor(
            found, more, lambda last: {"created_at": last.created_at, "id": last.id}
        ),
    )


@router.get("/transfers/{transfer_id}")
async def get_transfer(transfer_id: TransferId, uow: UnitOfWorkDep) -> TransferRead:
    with problems_from(REFUSALS):
        return TransferRead.of(await warehouses.get_transfer(uow, transfer_id))
