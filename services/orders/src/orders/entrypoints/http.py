"""The HTTP API: customers, quotes, orders, stages, saved filters, webhooks, CSV imports and
exports (thin views per module)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orders.entrypoints import (
    contacts_api,
    customer_changes_api,
    customers_api,
    exports_api,
    imports_api,
    items_api,
    notes_api,
    opportunities_api,
    orders_api,
    ownership_api,
    price_lists_api,
    quotes_api,
    reports_api,
    revisions_api,
    sales_figures_api,
    saved_filters_api,
    stages_api,
    webhooks_api,
)

# Every route sees customers, quotes and orders as the caller may (ownership_api).
router = APIRouter(dependencies=[Depends(ownership_api.see_as_caller)])
for part in (
    ownership_api.router,  # before the routes whose paths would take `reassign` for an id
    customers_api.router,
    customer_changes_api.router,
    contacts_api.router,
    notes_api.router,
    reports_api.router,
    sales_figures_api.router,
    quotes_api.router,
    orders_api.router,
    revisions_api.router,
    stages_api.router,
    saved_filters_api.router,
    opportunities_api.router,
    webhooks_api.router,
    imports_api.router,
    exports_api.router,
    items_api.router,
    price_lists_api.router,
):
    router.include_router(part)
