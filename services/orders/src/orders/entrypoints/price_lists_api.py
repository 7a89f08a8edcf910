"""Price lists over HTTP: per customer or customer group, currency, validity and quantity
breaks; sales writes them, any role reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.price_lists import PriceBreak, PriceList
from orders.entrypoints.common import (
    PROBLEMS,
    SALES,
    created_once,
    creating,
    run_query,
    run_use_case,
)
from orders.entrypoints.price_lists_schemas import (
    PriceBreakRead,
    PriceListPage,
    PriceListRead,
    PriceListWrite,
)
from orders.service_layer import price_lists
from pricing import in_currency
from servicekit.api import Cursor, IdempotencyKey, Limit, Storable
from servicekit.pagination import created_at_and_id, created_at_and_id_of, cursor_position
from servicekit.pagination import next_cursor as cursor_after

router = APIRouter(tags=["price lists"])


def _read(price_list: PriceList) -> PriceListRead:
    return PriceListRead(
        id=price_list.id,
        name=price_list.name,
        currency=price_list.currency,
        customer_id=price_list.customer_id,
        customer_group=price_list.customer_group,
        valid_from=price_list.valid_from,
        valid_to=price_list.valid_to,
        entries=[
            PriceBreakRead(
                sku=e.sku,
                min_quantity=e.min_quantity,
                unit_price=(
                    in_currency(e.unit_price, price_list.currency)
                    if e.unit_price is not None
                    else None
                ),
                discount_percent=e.discount_percent,
            )
            for e in price_list.entries
        ],
        created_at=price_list.created_at,
        updated_at=price_list.updated_at,
    )


async def _as_read(_: SqlUnitOfWork, price_list: PriceList) -> PriceListRead:
    return _read(price_list)


def new_price_list(body: PriceListWrite) -> price_lists.NewPriceList:
    return price_lists.NewPriceList(
        name=body.name,
        currency=body.currency,
        customer_id=str(body.customer_id) if body.customer_id else None,
        customer_group=body.customer_group,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        entries=[
            PriceBreak(e.sku, e.min_quantity, e.unit_price, e.discount_percent)
            for e in body.entries
        ],
    )


@creating(router, "/price-lists", PriceListRead)
async def create_price_list(
    body: PriceListWrite, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a price list; 409 when another list of the same customer (or group) and currency
    is valid on some same day."""
    new = new_price_list(body)

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        return _read(await price_lists.create_price_list(uow, new))

    return await created_once(
        request,
        scope="price-lists",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )


@router.get("/price-lists", response_model=PriceListPage, responses=PROBLEMS)
async def list_price_lists(
    request: Request,
    customer_id: uuid.UUID | None = None,
    customer_group: Annotated[str | None, Query(max_length=50), Storable] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PriceListPage:
    """Price lists, newest first, of a customer, a group or a currency."""
    after = cursor_position(cursor, created_at_and_id)

    async def page(uow: SqlUnitOfWork) -> tuple[list[PriceList], bool]:
        return await uow.price_lists.page(
            customer_id=str(customer_id) if customer_id else None,
            customer_group=customer_group,
            currency=currency,
            limit=limit,
            after=after,
        )

    found, more = await run_query(request, page)
    return PriceListPage(
        items=[_read(p) for p in found],
        next_cursor=cursor_after(found, more, created_at_and_id_of),
    )


@router.get("/price-lists/{price_list_id}", response_model=PriceListRead, responses=PROBLEMS)
async def get_price_list(price_list_id: uuid.UUID, request: Request) -> PriceListRead:
    """One price list with its breaks."""
    return _read(await run_query(request, price_lists.get_price_list, str(price_list_id)))


@router.put(
    "/price-lists/{price_list_id}",
    response_model=PriceListRead,
    responses=PROBLEMS,
    dependencies=SALES,
)
async def replace_price_list(
    price_list_id: uuid.UUID, body: PriceListWrite, request: Request
) -> PriceListRead:
    """Replace the whole list (409 when it would overlap another)."""
    return await run_use_case(
        request, _as_read, price_lists.replace_price_list, str(price_list_id), new_price_list(body)
    )


@router.delete(
    "/price-lists/{price_list_id}", status_code=204, responses=PROBLEMS, dependencies=SALES
)
async def delete_price_list(price_list_id: uuid.UUID, request: Request) -> Response:
    """Delete the list; orders already priced from it keep their prices."""
    await run_query(request, price_lists.delete_price_list, str(price_list_id))
    return Response(status_code=204)
