"""Purchasing: purchase orders by status, a purchase order's card with its steps (send, cancel)
and goods receipt, and the vendors (list, new vendor, a vendor's card)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain.steps import PURCHASE_ORDER_STEPS, RECEIVABLE, step_named, steps_for
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    name_lines,
    perform,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, path

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


async def _purchase_order_card(
    request: Request,
    user: Any,
    api: Api,
    purchase_order_id: str,
    problem: ServiceError | None = None,
    received: dict[str, str] | None = None,
) -> Response:
    token, po_path = user.token, path("/purchase-orders/{}", purchase_order_id)
    try:
        purchase_order, receipts = await asyncio.gather(
            api.read(token, "inventory", po_path),
            api.read(token, "inventory", po_path + "/receipts"),
        )
        vendor = await api.read(
            token, "inventory", path("/vendors/{}", purchase_order["vendor_id"])
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "po": purchase_order,
        "vendor": vendor,
        "receipts": receipts,
        "steps": steps_for(PURCHASE_ORDER_STEPS, purchase_order.get("status"), user.roles),
        "may_receive": purchase_order.get("status") in RECEIVABLE and user.may("warehouse"),
        "received": received or {},
        "step_key": str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "purchasing/card.html", context, status_code=status_of(problem))


@router.get("/purchase-orders/{purchase_order_id}")
async def purchase_order_card(
    request: Request, purchase_order_id: str, user: CurrentUser, api: Api
) -> Response:
    return await _purchase_order_card(request, user, api, purchase_order_id)


@router.post("/purchase-orders/{purchase_order_id}/receipts")
async def receive_goods(
    request: Request, purchase_order_id: str, user: CurrentUser, api: Api
) -> Response:
    """Goods arrived (warehouse): the quantity received per line; empty lines are left out."""
    form = await request.form()
    received = {
        key.removeprefix("received-"): str(value).strip()
        for key, value in form.items()
        if key.startswith("received-") and str(value).strip()
    }
    body: Json = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in received.items()]}
    key = str(form.get("idempotency_key") or uuid.uuid4())
    target = path("/purchase-orders/{}/receipts", purchase_order_id)

    async def refused(error: ServiceError) -> Response:
        named = name_lines(error, list(received), "received")
        return await _purchase_order_card(request, user, api, purchase_order_id, named, received)

    return await perform(
        request,
        lambda: api.command(user.token, "inventory", target, body, idempotency_key=key),
        then=f"/purchase-orders/{purchase_order_id}",
        flash=N_("Goods received."),
        refused=refused,
    )


@router.post("/purchase-orders/{purchase_order_id}/{step}")
async def purchase_order_step(
    request: Request, purchase_order_id: str, step: str, user: CurrentUser, api: Api
) -> Response:
    """Send to the vendor or cancel (purchasing)."""
    if step_named(PURCHASE_ORDER_STEPS, step) is None:
        return error_page(request, ServiceError(404, N_("Not found")))

    target = path("/purchase-orders/{}/" + step, purchase_order_id)
    return await perform(
        request,
        lambda: api.command(user.token, "inventory", target),
        then=f"/purchase-orders/{purchase_order_id}",
        flash=N_("Purchase order sent.") if step == "send" else N_("Purchase order cancelled."),
        refused=lambda error: _purchase_order_card(request, user, api, purchase_order_id, error),
    )


# --- vendors -----------------------------------------------------------------------------------


async def _vendors_page(
    request: Request,
    user: Any,
    api: Api,
    q: str = "",
    cursor: str | None = None,
    problem: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        page = await api.read(
            user.token, "inventory", "/vendors", {"q": q, "cursor": cursor, "limit": PAGE_SIZE}
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "page": page,
        "q": q,
        "form": form or {"currency": "EUR", "payment_terms_days": "30"},
        "idempotency_key": (form or {}).get("idempotency_key") or str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "purchasing/vendors.html", context, status_code=status_of(problem))


@router.get("/vendors")
async def vendors_list(
    request: Request, user: CurrentUser, api: Api, q: str = "", cursor: str | None = None
) -> Response:
    return await _vendors_page(request, user, api, q, cursor)


@router.post("/vendors")
async def create_vendor(
    request: Request,
    user: CurrentUser,
    api: Api,
    name: Annotated[str, Form(max_length=200)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    payment_terms_days: Annotated[str, Form(max_length=5)] = "30",
    email: Annotated[str, Form(max_length=320)] = "",
    contact_name: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A new vendor (purchasing); the products it supplies are added through the API."""
    form = {
        "name": name.strip(),
        "currency": currency.strip().upper(),
        "payment_terms_days": payment_terms_days.strip(),
        "email": email.strip(),
        "contact_name": contact_name.strip(),
        "idempotency_key": idempotency_key,
    }
    body: Json = {
        "name": form["name"],
        "currency": form["currency"],
        "payment_terms_days": form["payment_terms_days"] or "30",
        "email": form["email"] or None,
        "contact_name": form["contact_name"] or None,
    }

    return await perform(
        request,
        lambda: api.command(
            user.token, "inventory", "/vendors", body, idempotency_key=idempotency_key or None
        ),
        then=lambda vendor: f"/vendors/{vendor['id']}",
        flash=N_("Vendor created."),
        refused=lambda error: _vendors_page(request, user, api, problem=error, form=form),
    )


@router.get("/vendors/{vendor_id}")
async def vendor_card(request: Request, vendor_id: str, user: CurrentUser, api: Api) -> Response:
    try:
        vendor, orders = await asyncio.gather(
            api.read(user.token, "inventory", path("/vendors/{}", vendor_id)),
            api.read(user.token, "inventory", "/purchase-orders", {"vendor_id": vendor_id}),
        )
    except ServiceError as error:
        return error_page(request, error)
    return render(request, "purchasing/vendor.html", {"vendor": vendor, "orders": orders})
