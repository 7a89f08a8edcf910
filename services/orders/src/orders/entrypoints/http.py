"""The HTTP API: customers, quotes, orders, stages, saved filters, webhooks, CSV imports and
exports (thin views per module)."""

from __future__ import annotations

from fastapi import APIRouter

from orders.entrypoints import (
    customers_api,
    exports_api,
    imports_api,
    opportunities_api,
    orders_api,
    quotes_api,
    saved_filters_api,
    stages_api,
    webhooks_api,
)

router = APIRouter()
for part in (
    customers_api.router,
    quotes_api.router,
    orders_api.router,
    stages_api.router,
    saved_filters_api.router,
    opportunities_api.router,
    webhooks_api.router,
    imports_api.router,
    exports_api.router,
):
    router.include_router(part)
