"""The catalogue: products (stocked) and services (not stocked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from inventory.domain.catalogue import CatalogueDetails, InvalidCatalogueEntry, gtin, list_prices
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
from inventory.entrypoints.products_schemas import (
    ListPriceRead,
    ProductPage,
    ProductRead,
    ProductUpdate,
)
from inventory.service_layer import catalogue
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, Limit, Storable, problem_responses
from servicekit.auth import current_actor
from servicekit.concurrency import IfMatch, entity_tag, require_match, tagged
from servicekit.http import InvalidInput, NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["catalogue"], responses=PROBLEMS)


def _read(product: Product) -> ProductRead:
    details = product.details
    return ProductRead(
        sku=product.sku,
        name=product.name,
        kind=product.kind,
        description=product.description,
        list_prices=[
            ListPriceRead(currency=currency, amount=str(amount))
            for currency, amount in details.list_prices.items()
        ],
        unit_of_measure=details.unit_of_measure,
        tax_category=details.tax_category,
        active=details.active,
        barcode=details.barcode,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def _details(body: ProductUpdate) -> CatalogueDetails:
    """The body's commercial fields, checked: ISO 4217 currencies, a valid GTIN (422 naming
    the field otherwise)."""
    try:
        return CatalogueDetails(
            list_prices=list_prices((p.currency, p.amount) for p in body.list_prices),
            unit_of_measure=body.unit_of_measure,
            tax_category=body.tax_category,
            active=body.active,
            barcode=gtin(body.barcode) if body.barcode else None,
        )
    except InvalidCatalogueEntry as exc:
        raise InvalidInput.field(f"body.{exc.field}", exc.message) from None


@router.get("/products")
async def list_products(
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    kind: ItemKind | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in SKU/name/description, or the barcode"),
        Storable,
    ] = None,
    active: bool | None = None,
) -> ProductPage:
    """Products and services in SKU order."""
    after_sku = cursor_position(cursor, lambda position: text(keys("sku")(position)[0]))
    found, more = await catalogue.list_products(
        uow, limit=limit, after_sku=after_sku, kind=kind, text=q, active=active
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
    command = UpsertProduct(
        sku=sku,
        name=body.name,
        kind=body.kind,
        description=body.description,
        details=_details(body),
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def upsert(uow: UnitOfWork) -> tuple[Product, bool]:
        if if_match is not None:  # compared under the lock the replacement then holds
            current = await catalogue.get_product(uow, sku, for_update=True)
            require_match(if_match, None if current is None else entity_tag(_read(current)))
        return await catalogue.upsert_product(uow, command)

    product, created = await change(runtime, upsert)
    response.status_code = 201 if created else 200
    return tagged(response, _read(product))
