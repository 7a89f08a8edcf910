"""What orders hold per SKU, and what they wait for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inventory.domain.model import LineStatus
from inventory.domain.records import ReservationFilter
from inventory.entrypoints.common import PROBLEMS, Page, UnitOfWorkDep, cursor_fields
from inventory.entrypoints.reservations_schemas import ReservationRead
from inventory.service_layer import reservations
from servicekit.api import Cursor, Limit
from servicekit.http import encode_cursor

router = APIRouter(tags=["reservations"], responses=PROBLEMS)


@router.get("/reservations")
async def list_reservations(
    uow: UnitOfWorkDep,
    order_id: Annotated[str | None, Query(max_length=200)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    status: LineStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReservationRead]:
    """What orders hold per SKU; a backordered order's lines have status `backordered`."""
    after = cursor_fields(cursor, "order_id", "sku")
    found, more = await reservations.list_lines(
        uow,
        ReservationFilter(order_id=order_id, sku=sku, status=status),
        limit=limit,
        after=(str(after[0]), str(after[1])) if after else None,
    )
    items = [ReservationRead.model_validate(line, from_attributes=True) for line in found]
    next_cursor = (
        encode_cursor({"order_id": found[-1].order_id, "sku": found[-1].sku})
        if more and found
        else None
    )
    return Page[ReservationRead](items=items, next_cursor=next_cursor)
