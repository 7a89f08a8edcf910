"""Purchase orders to vendors: the list by status, with the vendors' names (read only here)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render
from console.service_layer.ports import ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
PURCHASE_STATUSES = ("draft", "sent", "partially_received", "received", "cancelled")


@router.get("/purchase-orders")
async def purchase_orders_list(
    request: Request, user: CurrentUser, api: Api, status: str = "", cursor: str | None = None
) -> Response:
    params = {
        "status": status if status in PURCHASE_STATUSES else None,
        "cursor": cursor,
        "limit": PAGE_SIZE,
    }
    try:
        page, vendors = await asyncio.gather(
            api.list_purchase_orders(user.token, params),
            api.list_vendors(user.token, {"limit": 100}),
        )
    except ServiceError as error:
        return error_page(request, error)
    names = {vendor["id"]: vendor["name"] for vendor in vendors.get("items", [])}
    return render(
        request,
        "purchasing/list.html",
        {"page": page, "status": status, "statuses": PURCHASE_STATUSES, "vendor_names": names},
    )
