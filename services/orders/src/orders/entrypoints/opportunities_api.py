"""CRM opportunities over HTTP: as known from the orders and quotes that named them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from orders.domain.customer import Opportunity
from orders.entrypoints import content_schemas, orders_schemas
from orders.entrypoints.common import PROBLEMS, unit_of_work
from orders.entrypoints.orders_api import OrderQueryParams, filters_of, order_page
from servicekit.api import Cursor, Limit, Storable
from servicekit.http import (
    NotFound,
)

router = APIRouter(tags=["opportunities"])

OpportunityId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\s/?#]+$"), Storable]


async def find_opportunity(request: Request, opportunity_id: str) -> Opportunity:
    async with unit_of_work(request) as uow:
        found = await uow.opportunities.get(opportunity_id)
    if found is None:
        raise NotFound(f"no order or quote names opportunity {opportunity_id!r}")
    return found


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=content_schemas.OpportunityRead,
    responses=PROBLEMS,
)
async def get_opportunity(
    opportunity_id: OpportunityId, request: Request
) -> content_schemas.OpportunityRead:
    """An opportunity as known from the orders and quotes that named it."""
    found = await find_opportunity(request, opportunity_id)
    return content_schemas.OpportunityRead(
        id=found.id, name=found.name, customer_id=found.customer_id
    )


@router.get(
    "/opportunities/{opportunity_id}/orders",
    response_model=orders_schemas.OrderPage,
    responses=PROBLEMS,
)
async def opportunity_orders(
    opportunity_id: OpportunityId,
    request: Request,
    query: OrderQueryParams,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> orders_schemas.OrderPage:
    """The opportunity's orders (any number, at any time), with the filters of GET /orders."""
    found = await find_opportunity(request, opportunity_id)
    filters = filters_of(query, opportunity_id=found.id)
    return await order_page(request, filters, limit, cursor)
