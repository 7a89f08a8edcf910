"""Products and stock: the catalogue with each product's on-hand, reserved and available."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render
from console.service_layer.ports import Json, ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
KINDS = ("product", "service")


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


@router.get("/products/{sku}")
async def product_card(request: Request, sku: str, user: CurrentUser, api: Api) -> Response:
    try:
        product = await api.get_product(user.token, sku)
        stock = await api.get_stock(user.token, sku) if product else None
    except ServiceError as error:
        return error_page(request, error)
    if product is None:
        return error_page(request, ServiceError(404, "Not found", f"No product {sku}."))
    return render(request, "products/card.html", {"product": product, "stock": stock})
