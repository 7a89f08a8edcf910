"""The catalogue view over HTTP: item search and look-up for order entry, with price and
availability in one answer (kept from inventory's events: no call to inventory)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from orders.domain.catalogue import Availability, CatalogueItem
from orders.entrypoints.common import PROBLEMS, run_query, unit_of_work
from orders.entrypoints.items_schemas import (
    AvailabilityRead,
    ItemPage,
    ItemRead,
    ListPriceRead,
    PriceRead,
    WarehouseStockRead,
)
from orders.service_layer import catalogue
from orders.service_layer.catalogue import ItemOffer
from servicekit.api import Cursor, Limit, Storable
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["catalogue"])

SkuPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")
]
CurrencyQuery = Annotated[
    str | None, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217: price the item in it")
]


def _read(item: CatalogueItem, availability: Availability, offer: ItemOffer | None) -> ItemRead:
    price = None
    if offer is not None and offer.price is not None and offer.currency is not None:
        price_list = offer.price.price_list
        price = PriceRead(
            currency=offer.currency,
            unit_price=offer.price.unit_price,
            source=offer.price.source,
            price_list_id=price_list.id if price_list else None,
            price_list_name=price_list.name if price_list else None,
        )
    return ItemRead(
        sku=item.sku,
        name=item.name,
        kind=item.kind,
        description=item.description,
        unit_of_measure=item.unit_of_measure,
        tax_category=item.tax_category,
        active=item.active,
        barcode=item.barcode,
        list_prices=[ListPriceRead(currency=c, amount=a) for c, a in item.list_prices.items()],
        availability=AvailabilityRead(
            on_hand=availability.on_hand,
            reserved=availability.reserved,
            available=availability.available,
            warehouses=[
                WarehouseStockRead(
                    warehouse=w.warehouse,
                    on_hand=w.on_hand,
                    reserved=w.reserved,
                    available=w.available,
                )
                for w in availability.warehouses
            ],
        ),
        price=price,
    )


@dataclass(frozen=True)
class ItemFilter:
    q: str | None = None
    active: bool | None = None


async def _filter(
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in SKU or name, or the barcode"),
        Storable,
    ] = None,
    active: bool | None = None,
) -> ItemFilter:
    return ItemFilter(q=q, active=active)


# The filters of the catalogue items (their list and their export).
ItemQuery = Annotated[ItemFilter, Depends(_filter)]


@router.get("/items", response_model=ItemPage, responses=PROBLEMS)
async def list_items(
    request: Request, where: ItemQuery, limit: Limit = 50, cursor: Cursor = None
) -> ItemPage:
    """Catalogue items in SKU order, each with its availability."""
    after_sku = cursor_position(cursor, lambda position: text(keys("sku")(position)[0]))
    async with unit_of_work(request) as uow:
        found, more = await uow.catalogue.search(
            text=where.q, active=where.active, limit=limit, after_sku=after_sku
        )
        stock = await uow.catalogue.availability([item.sku for item in found])
    return ItemPage(
        items=[_read(item, stock.get(item.sku, Availability()), None) for item in found],
        next_cursor=next_cursor(found, more, lambda last: {"sku": last.sku}),
    )


@router.get("/items/{sku:path}", response_model=ItemRead, responses=PROBLEMS)
async def look_up_item(
    sku: SkuPath,
    request: Request,
    currency: CurrencyQuery = None,
    customer_id: Annotated[
        uuid.UUID | None, Query(description="Price for this customer (its price lists)")
    ] = None,
    quantity: Annotated[
        Decimal, Query(gt=0, max_digits=15, decimal_places=3, description="Quantity breaks")
    ] = Decimal(1),
) -> ItemRead:
    """One item for order entry: what it is, what one unit costs (the customer's price list for
    the quantity, else the list price) in `currency`, and its availability."""
    offer = await run_query(
        request,
        catalogue.look_up,
        sku,
        currency=currency,
        customer_id=str(customer_id) if customer_id else None,
        quantity=quantity,
    )
    return _read(offer.item, offer.availability, offer)
