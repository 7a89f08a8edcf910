"""Products and stock: the catalogue with each product's on-hand, reserved and available, a
product's stock per warehouse, and the products whose stock is under their reorder point."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.entrypoints.i18n import N_
from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render, see_other
from console.service_layer.ports import Json, ServiceError, SuiteApi

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
KINDS = ("product", "service")
ADJUSTMENTS = ("receipt", "damage", "loss", "count_correction")


@router.get("/products")
async def products_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    q: str = "",
    kind: str = "",
    cursor: str | None = None,
) -> Response:
    try:
        page = await api.list_products(
            user.token,
            {"q": q, "kind": kind if kind in KINDS else None, "cursor": cursor, "limit": PAGE_SIZE},
        )
        products: list[Json] = page.get("items", [])
        stocks = await asyncio.gather(
            *(
                api.get_stock(user.token, p["sku"])
                if p.get("kind") == "product"
                else asyncio.sleep(0, None)
                for p in products
            )
        )
    except ServiceError as error:
        return error_page(request, error)
    return render(
        request,
        "products/list.html",
        {
            "rows": list(zip(products, stocks, strict=True)),
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": KINDS,
        },
    )


async def _per_warehouse(api: SuiteApi, token: str, sku: str) -> list[Json]:
    """The SKU's stock in each warehouse (the overview searches by text: other SKUs containing
    it are left out)."""
    page = await api.read(token, "inventory", "/stock", {"q": sku, "limit": 100})
    return [_shortfall(row) for row in page.get("items", []) if row.get("sku") == sku]


def _shortfall(row: Json) -> Json:
    """The row with `short`: how far available is under the reorder point (None: not under it,
    or no reorder point), and `low` when it is."""
    short: Decimal | None = None
    try:
        if row.get("reorder_point") is not None:
            gap = Decimal(str(row["reorder_point"])) - Decimal(str(row.get("available", "0")))
            short = gap if gap > 0 else None
    except InvalidOperation:
        short = None
    return {**row, "short": short, "low": short is not None}


@router.get("/stock/low")
async def low_stock(
    request: Request,
    user: CurrentUser,
    api: Api,
    warehouse: str = "",
    cursor: str | None = None,
) -> Response:
    """Stock under its reorder point, per product and warehouse."""
    params: dict[str, Any] = {"low_stock": "true", "limit": PAGE_SIZE, "cursor": cursor}
    try:
        page, warehouses = await asyncio.gather(
            api.read(user.token, "inventory", "/stock", {**params, "warehouse": warehouse or None}),
            api.read(user.token, "inventory", "/warehouses"),
        )
    except ServiceError as error:
        return error_page(request, error)
    return render(
        request,
        "products/low_stock.html",
        {
            "rows": [_shortfall(row) for row in page.get("items", [])],
            "page": page,
            "warehouse": warehouse,
            "warehouses": warehouses.get("items", []),
        },
    )


async def _product_context(api: Api, token: str, sku: str) -> dict[str, object] | None:
    product = await api.get_product(token, sku)
    if product is None:
        return None
    stock: Json | None = None
    movements: Json = {"items": []}
    warehouses: list[Json] = []
    if product.get("kind") == "product":
        stock, movements, warehouses = await asyncio.gather(
            api.get_stock(token, sku),
            api.stock_movements(token, sku, {"limit": PAGE_SIZE}),
            _per_warehouse(api, token, sku),
        )
    return {
        "product": product,
        "stock": stock,
        "warehouses": warehouses,
        "movements": movements.get("items", []),
        "adjustments": ADJUSTMENTS,
        "adjustment_key": str(uuid.uuid4()),
    }


@router.get("/products/{sku}")
async def product_card(request: Request, sku: str, user: CurrentUser, api: Api) -> Response:
    try:
        context = await _product_context(api, user.token, sku)
    except ServiceError as error:
        return error_page(request, error)
    if context is None:
        return error_page(request, ServiceError(404, N_("Not found"), N_("No such product.")))
    return render(request, "products/card.html", context)


@router.post("/products/{sku}/adjustments")
async def adjust_stock(
    request: Request,
    sku: str,
    user: CurrentUser,
    api: Api,
    kind: Annotated[str, Form(max_length=40)] = "receipt",
    quantity: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Receive, write off or count stock (warehouse); a refusal is shown by its field."""
    body = {"sku": sku, "kind": kind, "quantity": quantity.strip(), "reason": reason.strip()}
    try:
        await api.adjust_stock(user.token, body, idempotency_key or str(uuid.uuid4()))
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        try:
            context = await _product_context(api, user.token, sku)
        except ServiceError as again:
            return error_page(request, again)
        if context is None:
            return error_page(request, error)
        return render(
            request,
            "products/card.html",
            {**context, "problem": error, "field_errors": error.field_errors(), "form": body},
            status_code=422,
        )
    return see_other(request, f"/products/{sku}", flash=N_("Stock adjusted."))
