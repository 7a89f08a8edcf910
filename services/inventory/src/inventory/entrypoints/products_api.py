"""The catalogue: products (stocked) and services (not stocked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from inventory.domain.commands import UpsertProduct
from inventory.domain.model import ItemKind
from inventory.domain.records import Product
from inventory.entrypoints.common import (
    PROBLEMS,
    WAREHOUSE_ONLY,
    RuntimeDep,
    SkuPath,
    UnitOfWorkDep,
    change,
)
from inventory.entrypoints.products_schemas import ProductPage, ProductRead, ProductUpdate
from inventory.service_layer import catalogue
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, Limit, Storable, problem_responses
from servicekit.concurrency import IfMatch, entity_tag, require_match, tagged
from servicekit.http import NotFound
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["catalogue"], responses=PROBLEMS)


def _read(product: Product) -> ProductRead:
    return ProductRead.model_validate(product, from_attributes=True)


@router.get("/products")
async def list_products(
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: ItemKind | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in SKU/name"), Storable
    ] = None,
) -> ProductPage:
    """Products and services in SKU order."""
    after_sku = cursor_position(cursor, lambda position: text(keys("sku")(position)[0]))
    found, more = await catalogue.list_products(
        uow, limit=limit, after_sku=after_sku, kind=kind, text=q
    )
    return ProductPage(
        items=[_read(p) for p in found],
        next_cursor=next_cursor(found, more, lambda last: {"sku": last.sku}),
    )


@router.get("/products/{sku:path}")
async def get_product(sku: SkuPath, uow: UnitOfWorkDep, response: Response) -> ProductRead:
    """One product or service; its `ETag` makes a later PUT conditional (`If-Match`)."""
    product = await catalogue.get_product(uow, sku)
    if product is None:
        raise NotFound(f"no product with SKU {sku!r}", sku=sku)
    return tagged(response, _read(product))


@router.put(
    "/products/{sku:path}",
    responses={201: {"description": "Created", "model": ProductRead}, **problem_responses(412)},
    dependencies=WAREHOUSE_ONLY,
)
async def put_product(
    sku: SkuPath,
    body: ProductUpdate,
    runtime: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProductRead:
    """Create the product (201) or replace its fields (200). With `If-Match`, only a product
    still as read is replaced: 412 if it changed since (or does not exist), nothing changes."""
    command = UpsertProduct(sku=sku, name=body.name, kind=body.kind, description=body.description)

    async def upsert(uow: UnitOfWork) -> tuple[Product, bool]:
        if if_match is not None:  # compared under the lock the replacement then holds
            current = await catalogue.get_product(uow, sku, for_update=True)
            require_match(if_match, None if current is None else entity_tag(_read(current)))
        return await catalogue.upsert_product(uow, command)

    product, created = await change(runtime, upsert)
    response.status_code = 201 if created else 200
    return tagged(response, _read(product))
