"""The HTTP API: customers, quotes, orders, stages, saved filters (thin views per module)."""

from __future__ import annotations

from fastapi import APIRouter

from orders.entrypoints import customers_api, filters_api, orders_api, pipeline_api, quotes_api

router = APIRouter()
for part in (
    customers_api.router,
    quotes_api.router,
    orders_api.router,
    pipeline_api.router,
    filters_api.router,
):
    router.include_router(part)
