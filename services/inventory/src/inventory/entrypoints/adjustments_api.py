"""Stock adjustments: receipts, write-offs (damage, loss) and counts."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from inventory.domain.commands import AdjustStock
from inventory.entrypoints.adjustments_schemas import StockAdjustmentCreate, StockAdjustmentRead
from inventory.entrypoints.common import PROBLEMS, WAREHOUSE_ONLY, RuntimeDep, create_once
from inventory.service_layer import stock
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import IdempotencyKey
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["stock"], responses=PROBLEMS)


@router.post(
    "/stock/adjustments",
    status_code=201,
    response_model=StockAdjustmentRead,
    dependencies=WAREHOUSE_ONLY,
)
async def create_adjustment(
    body: StockAdjustmentCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Receive, write off (damage, loss) or count stock; never below 0 or below reserved."""
    command = AdjustStock(
        sku=body.sku,
        kind=body.kind,
        quantity=body.quantity,
        reason=body.reason,
        warehouse=body.warehouse,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> StockAdjustmentRead:
        adjustment = await stock.adjust_stock(uow, command)
        return StockAdjustmentRead.model_validate(adjustment, from_attributes=True)

    return await create_once(
        runtime,
        scope="stock.adjustments",
        idempotency_key=idempotency_key,
        body=body,
        create=create,
    )
