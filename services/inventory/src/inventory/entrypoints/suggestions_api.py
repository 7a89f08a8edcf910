"""Reorder points and the suggested purchase list, which turns into draft purchase orders."""

from __future__ import annotations

from fastapi import APIRouter

from inventory.domain.purchasing import ReorderPoint
from inventory.entrypoints.common import (
    PROBLEMS,
    PURCHASING_ONLY,
    RuntimeDep,
    SkuPath,
    UnitOfWorkDep,
    change,
)
from inventory.entrypoints.purchase_orders_schemas import PurchaseOrderRead
from inventory.entrypoints.suggestions_schemas import (
    ReorderPointRead,
    ReorderPointWrite,
    SuggestionRead,
)
from inventory.service_layer import purchasing
from servicekit.auth import current_actor
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["purchasing"], responses=PROBLEMS)


@router.put("/reorder-points/{sku:path}", dependencies=PURCHASING_ONLY)
async def set_reorder_point(
    sku: SkuPath, body: ReorderPointWrite, runtime: RuntimeDep
) -> ReorderPointRead:
    """Create or replace a product's reorder point; 422 for an unknown product or a service."""
    point = ReorderPoint(sku, body.reorder_point, body.reorder_quantity)
    return ReorderPointRead.of(
        await change(runtime, lambda uow: purchasing.set_reorder_point(uow, point))
    )


@router.get("/purchase-suggestions")
async def suggested_purchases(uow: UnitOfWorkDep) -> list[SuggestionRead]:
    """Every product whose available stock plus what is on order is below its reorder point."""
    return [SuggestionRead.of(s) for s in await purchasing.suggest_purchases(uow)]


@router.post("/purchase-suggestions/drafts", status_code=201, dependencies=PURCHASING_ONLY)
async def draft_suggested_purchases(runtime: RuntimeDep) -> list[PurchaseOrderRead]:
    """One draft purchase order per vendor for the suggestions; the drafts count as on order,
    so asking again drafts nothing more (an empty list)."""
    correlation_id, actor = current_correlation_id(), current_actor()
    drafts = await change(
        runtime,
        lambda uow: purchasing.draft_suggested_purchases(
            uow, correlation_id=correlation_id, actor=actor
        ),
    )
    return [PurchaseOrderRead.of(order) for order in drafts]
