"""Purchase orders: draft → sent → partially received → received, or cancelled; receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from inventory.domain.purchasing import (
    CreatePurchaseOrder,
    PurchaseOrder,
    PurchaseOrderAction,
    PurchaseOrderStatus,
    ReceiveGoods,
)
from inventory.entrypoints.common import (
    PROBLEMS,
    PURCHASING_ONLY,
    REFUSALS,
    WAREHOUSE_ONLY,
    RuntimeDep,
    UnitOfWorkDep,
    change,
    create_once,
)
from inventory.entrypoints.purchase_orders_schemas import (
    PurchaseOrderCreate,
    PurchaseOrderPage,
    PurchaseOrderRead,
    ReceiptCreate,
    ReceiptRead,
)
from inventory.service_layer import purchasing
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit, problems_from
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, cursor_position, next_cursor

router = APIRouter(tags=["purchasing"], responses=PROBLEMS)

PurchaseOrderId = Annotated[str, Path(max_length=36)]


@router.post(
    "/purchase-orders",
    status_code=201,
    response_model=PurchaseOrderRead,
    dependencies=PURCHASING_ONLY,
)
async def create_purchase_order(
    body: PurchaseOrderCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A draft purchase order; a line without a price takes the vendor's purchase price. 422
    names a line whose product is unknown or a service, or that has no price at all."""
    command = CreatePurchaseOrder(
        vendor_id=body.vendor_id,
        lines=tuple(line.command() for line in body.lines),
        currency=body.currency,
        expected_date=body.expected_date,
        notes=body.notes,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> PurchaseOrderRead:
        return PurchaseOrderRead.of(await purchasing.create_purchase_order(uow, command))

    return await create_once(
        runtime,
        scope="purchase_orders",
        idempotency_key=idempotency_key,
        body=body,
        create=create,
    )


def _position(order: PurchaseOrder) -> dict[str, object]:
    """The cursor after `order` (a stored order always has its creation time)."""
    return {"created_at": order.created_at, "id": order.id}


@router.get("/purchase-orders")
async def list_purchase_orders(
    uow: UnitOfWorkDep,
    vendor_id: str | None = None,
    status: PurchaseOrderStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PurchaseOrderPage:
    """Purchase orders, oldest first."""
    found, more = await purchasing.list_purchase_orders(
        uow,
        limit=limit,
        after=cursor_position(cursor, created_at_and_id),
        vendor_id=vendor_id,
        status=status,
    )
    return PurchaseOrderPage(
        items=[PurchaseOrderRead.of(o) for o in found],
        next_cursor=next_cursor(found, more, _position),
    )


@router.get("/purchase-orders/{purchase_order_id}")
async def get_purchase_order(
    purchase_order_id: PurchaseOrderId, uow: UnitOfWorkDep
) -> PurchaseOrderRead:
    """One purchase order with what each line has received."""
    with problems_from(REFUSALS):
        return PurchaseOrderRead.of(await purchasing.get_purchase_order(uow, purchase_order_id))


def _action(purchase_order_id: str) -> PurchaseOrderAction:
    return PurchaseOrderAction(
        purchase_order_id=purchase_order_id,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )


@router.post("/purchase-orders/{purchase_order_id}/send", dependencies=PURCHASING_ONLY)
async def send_purchase_order(
    purchase_order_id: PurchaseOrderId, runtime: RuntimeDep
) -> PurchaseOrderRead:
    """draft → sent: emits purchase_order.sent; 409 in any other status."""
    action = _action(purchase_order_id)
    order = await change(runtime, lambda uow: purchasing.send_purchase_order(uow, action))
    return PurchaseOrderRead.of(order)


@router.post("/purchase-orders/{purchase_order_id}/cancel", dependencies=PURCHASING_ONLY)
async def cancel_purchase_order(
    purchase_order_id: PurchaseOrderId, runtime: RuntimeDep
) -> PurchaseOrderRead:
    """draft or sent → cancelled; 409 once anything was received."""
    action = _action(purchase_order_id)
    order = await change(runtime, lambda uow: purchasing.cancel_purchase_order(uow, action))
    return PurchaseOrderRead.of(order)


@router.post(
    "/purchase-orders/{purchase_order_id}/receipts",
    status_code=201,
    response_model=ReceiptRead,
    dependencies=WAREHOUSE_ONLY,
)
async def receive_goods(
    purchase_order_id: PurchaseOrderId,
    body: ReceiptCreate,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Goods arrived: on-hand grows and waiting orders are reserved, oldest first. 409 for more
    than a line still expects (unless it allows over-receipt), or a draft, cancelled or fully
    received purchase order."""
    command = ReceiveGoods(
        purchase_order_id=purchase_order_id,
        lines=tuple((line.sku, line.quantity) for line in body.lines),
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> ReceiptRead:
        return ReceiptRead.of(await purchasing.receive_goods(uow, command))

    return await create_once(
        runtime,
        scope=f"purchase_orders.{purchase_order_id}.receipts",
        idempotency_key=idempotency_key,
        body=body,
        create=create,
    )


@router.get("/purchase-orders/{purchase_order_id}/receipts")
async def list_receipts(
    purchase_order_id: PurchaseOrderId, uow: UnitOfWorkDep
) -> list[ReceiptRead]:
    """The purchase order's receipts, oldest first."""
    with problems_from(REFUSALS):
        return [ReceiptRead.of(r) for r in await purchasing.list_receipts(uow, purchase_order_id)]
