"""Saved order filters over HTTP (each user's own) and the orders they find."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.entrypoints import orders_schemas, saved_filters_schemas
from orders.entrypoints.common import (
    PROBLEMS,
    SALES,
    created_once,
    creating,
    name_and_id,
    name_and_id_of,
    unit_of_work,
)
from orders.entrypoints.orders_api import OrderPages, ViewParam, filters_of, order_list
from orders.service_layer.ports import SavedFilter
from servicekit.api import Cursor, IdempotencyKey, Limit
from servicekit.auth import current_actor
from servicekit.http import (
    Conflict,
    NotFound,
)
from servicekit.pagination import cursor_position, page_of

router = APIRouter(tags=["saved filters"])


def _owner() -> str:
    owner = current_actor()
    assert owner is not None, "every API route is authenticated"
    return owner


def _read(saved: SavedFilter) -> saved_filters_schemas.SavedFilterRead:
    return saved_filters_schemas.SavedFilterRead(
        id=saved.id, name=saved.name, query=saved.query, created_at=saved.created_at
    )


@creating(router, "/saved-filters", saved_filters_schemas.SavedFilterRead)
async def create_saved_filter(
    body: saved_filters_schemas.SavedFilterCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Save an order query (the parameters of GET /orders) under a name unique for you."""
    owner = _owner()
    saved = SavedFilter(
        id=str(uuid.uuid4()),
        owner=owner,
        name=body.name,
        query=body.query.model_dump(mode="json", exclude_defaults=True),
        created_at=datetime.now(UTC),
    )

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        if not await uow.saved_filters.add(saved):
            raise Conflict(f"you already have a saved filter named {body.name!r}")
        return _read(saved)

    return await created_once(
        request,
        scope=f"saved-filters:{hashlib.sha256(owner.encode()).hexdigest()[:40]}",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )


@router.get("/saved-filters", response_model=saved_filters_schemas.SavedFilterPage)
async def list_saved_filters(
    request: Request, limit: Limit = 50, cursor: Cursor = None
) -> saved_filters_schemas.SavedFilterPage:
    """Your saved filters, by name."""
    after = cursor_position(cursor, name_and_id)
    async with unit_of_work(request) as uow:
        found = await uow.saved_filters.of_owner(_owner(), limit=limit + 1, after=after)
    page, next_cursor = page_of(found, limit, name_and_id_of)
    return saved_filters_schemas.SavedFilterPage(
        items=[_read(s) for s in page], next_cursor=next_cursor
    )


async def _saved(request: Request, filter_id: str) -> SavedFilter:
    async with unit_of_work(request) as uow:
        saved = await uow.saved_filters.get(filter_id, _owner())
    if saved is None:
        raise NotFound(f"you have no saved filter {filter_id}")
    return saved


@router.get(
    "/saved-filters/{filter_id}",
    response_model=saved_filters_schemas.SavedFilterRead,
    responses=PROBLEMS,
)
async def get_saved_filter(
    filter_id: str, request: Request
) -> saved_filters_schemas.SavedFilterRead:
    """One of your saved filters."""
    return _read(await _saved(request, filter_id))


@router.get(
    "/saved-filters/{filter_id}/orders",
    response_model=OrderPages,
    responses=PROBLEMS,
)
async def saved_filter_orders(
    filter_id: str,
    request: Request,
    limit: Limit = 50,
    cursor: Cursor = None,
    view: ViewParam = orders_schemas.OrderView.FULL,
) -> orders_schemas.OrderPage | Response:
    """The orders the saved query finds now: the same as GET /orders with its parameters, in
    the view asked for."""
    saved = await _saved(request, filter_id)
    query = orders_schemas.OrderQuery.model_validate(saved.query)
    return await order_list(request, filters_of(query), limit, cursor, view)


@router.delete(
    "/saved-filters/{filter_id}",
    dependencies=SALES,
    status_code=204,
    responses=PROBLEMS,
)
async def delete_saved_filter(filter_id: str, request: Request) -> Response:
    """Delete one of your saved filters."""
    async with unit_of_work(request) as uow:
        deleted = await uow.saved_filters.delete(filter_id, _owner())
    if not deleted:
        raise NotFound(f"you have no saved filter {filter_id}")
    return Response(status_code=204)
