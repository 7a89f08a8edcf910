"""The HTTP API: customers, quotes, orders, stages, saved filters, webhooks, CSV imports and
exports (thin views per module)."""

from __future__ import annotations

from fastapi import Depends

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

# Every route sees customers, quotes and orders as the caller may (`SEE_AS_CALLER`, a dependency
# of each route). A request's path is matched against the routes in this order, the first match
# wins: the routers are listed flat, and the orders' own routes, the busiest, come early.
ROUTERS = (
    ownership_api.router,  # first: its `/reassign` paths are never to be taken for an id
    orders_api.router,
    customers_api.router,
    customer_changes_api.router,
    contacts_api.router,
    notes_api.router,
    reports_api.router,
    sales_figures_api.router,
    quotes_api.router,
    revisions_api.router,
    stages_api.router,
    saved_filters_api.router,
    opportunities_api.router,
    webhooks_api.router,
    imports_api.router,
    exports_api.router,
    items_api.router,
    price_lists_api.router,
)
SEE_AS_CALLER = Depends(ownership_api.see_as_caller)
