"""Reorder points and the suggested purchase list, which turns into draft purchase orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from inventory.domain.purchasing import ReorderPoint
from inventory.entrypoints.common import (
    PROBLEMS,
    PURCHASING_ONLY,
    RuntimeDep,
    SkuPath,
    SkuQuery,
    UnitOfWorkDep,
    change,
)
from inventory.entrypoints.purchase_orders_schemas import PurchaseOrderRead
from inventory.entrypoints.suggestions_schemas import (
    ReorderPointList,
    ReorderPointRead,
    ReorderPointWrite,
    SuggestionRead,
)
from inventory.entrypoints.warehouses_schemas import WAREHOUSE_PATTERN
from inventory.service_layer import purchasing
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["purchasing"], responses=PROBLEMS)


WarehouseQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        pattern=WAREHOUSE_PATTERN,
        description="The SKU's own point in this warehouse; absent: the product's point, the "
        "fallback of every warehouse without its own",
    ),
]


@router.get("/reorder-points")
async def list_reorder_points(
    uow: UnitOfWorkDep, sku: SkuQuery = None, warehouse: WarehouseQuery = None
) -> ReorderPointList:
    """The reorder points set, in (SKU, warehouse) order: the product's (`warehouse` null) and
    the warehouses' own. `warehouse=` lists that warehouse's own only."""
    found = await purchasing.list_reorder_points(uow, sku=sku, warehouse=warehouse)
    return ReorderPointList(items=[ReorderPointRead.of(point) for point in found])


@router.put("/reorder-points/{sku:path}", dependencies=PURCHASING_ONLY)
async def set_reorder_point(
    sku: SkuPath, body: ReorderPointWrite, runtime: RuntimeDep, warehouse: WarehouseQuery = None
) -> ReorderPointRead:
    """Create or replace a product's reorder point, or with `?warehouse=` its own point in that
    warehouse; 422 for an unknown product, a service, or an unknown warehouse
    (`query.warehouse`)."""
    point = ReorderPoint(sku, body.reorder_point, body.reorder_quantity, warehouse)
    return ReorderPointRead.of(
        await change(runtime, lambda uow: purchasing.set_reorder_point(uow, point))
    )


@router.delete("/reorder-points/{sku:path}", status_code=204, dependencies=PURCHASING_ONLY)
async def remove_reorder_point(
    sku: SkuPath, runtime: RuntimeDep, warehouse: WarehouseQuery = None
) -> Response:
    """Drop the product's point, or with `?warehouse=` the warehouse's own (that warehouse
    falls back to the product's); 404 when there is none."""
    await change(runtime, lambda uow: purchasing.remove_reorder_point(uow, sku, warehouse))
    return Response(status_code=204)


@router.get("/purchase-suggestions")
async def suggested_purchases(uow: UnitOfWorkDep) -> list[SuggestionRead]:
    """Per warehouse, every product whose available stock there plus what is on order into it
    is below its reorder point there (the warehouse's own, else the product's)."""
    return [SuggestionRead.of(s) for s in await purchasing.suggest_purchases(uow)]


@router.post("/purchase-suggestions/drafts", status_code=201, dependencies=PURCHASING_ONLY)
async def draft_suggested_purchases(runtime: RuntimeDep) -> list[PurchaseOrderRead]:
    """One draft purchase order per vendor and warehouse for the suggestions, to the warehouse
    that is short; the drafts count as on order, so asking again drafts nothing more (an empty
    list)."""
    correlation_id, actor = current_correlation_id(), current_actor()
    drafts = await change(
        runtime,
        lambda uow: purchasing.draft_suggested_purchases(
            uow, correlation_id=correlation_id, actor=actor
        ),
    )
    return [PurchaseOrderRead.of(order) for order in drafts]
