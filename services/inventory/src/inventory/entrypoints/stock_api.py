"""Stock levels and the ledger of every change to them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from inventory.domain.model import MAIN_WAREHOUSE
from inventory.domain.records import StockFilter
from inventory.entrypoints.common import (
    PROBLEMS,
    REFUSALS,
    SkuPath,
    UnitOfWorkDep,
)
from inventory.entrypoints.stock_schemas import (
    MovementPage,
    MovementRead,
    StockLevelRead,
    StockPage,
    StockRead,
)
from inventory.service_layer import stock
from servicekit.api import Cursor, Limit, Storable, problems_from
from servicekit.http import Conflict, NotFound
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["stock"], responses=PROBLEMS)


def _sku_and_warehouse(position: dict[str, Any]) -> tuple[str, str]:
    sku, warehouse = keys("sku", "warehouse")(position)
    return text(sku), text(warehouse)


async def _stock_filter(
    warehouse: Annotated[str | None, Query(max_length=32), Storable] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in SKU or name, or the barcode"),
        Storable,
    ] = None,
    available_below: Annotated[
        Decimal | None,
        Query(ge=0, max_digits=15, decimal_places=3, description="Only available under it"),
    ] = None,
    low_stock: Annotated[
        bool, Query(description="Only products whose available is under their reorder point")
    ] = False,
) -> StockFilter:
    return StockFilter(
        warehouse=warehouse, text=q, available_below=available_below, low_stock=low_stock
    )


# The filters of the stock overview (its list and its export).
StockQuery = Annotated[StockFilter, Depends(_stock_filter)]


@router.get("/stock")
async def list_stock(
    uow: UnitOfWorkDep, where: StockQuery, limit: Limit = 50, cursor: Cursor = None
) -> StockPage:
    """Stock at a glance: on hand, reserved, available and incoming of every stocked product
    per warehouse, filterable and paginated."""
    after = cursor_position(cursor, _sku_and_warehouse)
    found, more = await stock.overview(uow, where, limit=limit, after=after)
    return StockPage(
        items=[
            StockLevelRead(
                sku=row.sku,
                name=row.name,
                warehouse=row.warehouse,
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.available,
                incoming=row.incoming,
                reorder_point=row.reorder_point,
            )
            for row in found
        ],
        next_cursor=next_cursor(
            found, more, lambda last: {"sku": last.sku, "warehouse": last.warehouse}
        ),
    )


WarehouseQuery = Annotated[
    str,
    Query(max_length=32, pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$", description="Default: MAIN"),
]


@router.get("/stock/{sku:path}/movements")
async def list_movements(
    sku: SkuPath,
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    warehouse: WarehouseQuery = MAIN_WAREHOUSE,
) -> MovementPage:
    """The stock ledger of one SKU in one warehouse, oldest first: every change with the level
    it left."""
    after_id = cursor_position(cursor, lambda position: int(keys("id")(position)[0]))
    with problems_from(REFUSALS):
        found, more = await stock.list_movements(
            uow, sku, limit=limit, after_id=after_id, warehouse=warehouse
        )
    return MovementPage(
        items=[MovementRead.model_validate(movement, from_attributes=True) for movement in found],
        next_cursor=next_cursor(found, more, lambda last: {"id": last.id}),
    )


@router.get("/stock/{sku:path}")
async def get_stock(
    sku: SkuPath, uow: UnitOfWorkDep, warehouse: WarehouseQuery = MAIN_WAREHOUSE
) -> StockRead:
    """On hand, reserved and available (on hand - reserved) of one product in one warehouse
    (`GET /stock?q=` lists every warehouse)."""
    try:
        with problems_from(REFUSALS):
            level = await stock.get_stock(uow, sku, warehouse)
    except Conflict as exc:  # a service: there is no stock to show
        raise NotFound(exc.detail, sku=sku) from exc
    return StockRead.model_validate(level, from_attributes=True)
