"""Stock levels and the ledger of every change to them."""

from __future__ import annotations

from fastapi import APIRouter

from inventory.entrypoints.common import (
    PROBLEMS,
    REFUSALS,
    SkuPath,
    UnitOfWorkDep,
)
from inventory.entrypoints.stock_schemas import MovementPage, MovementRead, StockRead
from inventory.service_layer import stock
from servicekit.api import Cursor, Limit, problems_from
from servicekit.http import Conflict, NotFound
from servicekit.pagination import cursor_position, keys, next_cursor

router = APIRouter(tags=["stock"], responses=PROBLEMS)


@router.get("/stock/{sku:path}/movements")
async def list_movements(
    sku: SkuPath, uow: UnitOfWorkDep, limit: Limit = 50, cursor: Cursor = None
) -> MovementPage:
    """The stock ledger of one SKU, oldest first: every change with the level it left."""
    after_id = cursor_position(cursor, lambda position: int(keys("id")(position)[0]))
    with problems_from(REFUSALS):
        found, more = await stock.list_movements(uow, sku, limit=limit, after_id=after_id)
    return MovementPage(
        items=[MovementRead.model_validate(movement, from_attributes=True) for movement in found],
        next_cursor=next_cursor(found, more, lambda last: {"id": last.id}),
    )


@router.get("/stock/{sku:path}")
async def get_stock(sku: SkuPath, uow: UnitOfWorkDep) -> StockRead:
    """On hand, reserved and available (on hand - reserved) of one product."""
    try:
        with problems_from(REFUSALS):
            level = await stock.get_stock(uow, sku)
    except Conflict as exc:  # a service: there is no stock to show
        raise NotFound(exc.detail, sku=sku) from exc
    return StockRead.model_validate(level, from_attributes=True)
