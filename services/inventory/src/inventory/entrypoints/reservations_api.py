"""What orders hold per SKU, and what they wait for."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from inventory.domain.model import LineStatus
from inventory.domain.records import ReservationFilter
from inventory.entrypoints.common import PROBLEMS, OrderIdQuery, SkuQuery, UnitOfWorkDep
from inventory.entrypoints.reservations_schemas import ReservationPage, ReservationRead
from inventory.service_layer import reservations
from servicekit.api import Cursor, Limit
from servicekit.pagination import cursor_position, keys, next_cursor, text

router = APIRouter(tags=["reservations"], responses=PROBLEMS)


async def _filter(
    order_id: OrderIdQuery = None, sku: SkuQuery = None, status: LineStatus | None = None
) -> ReservationFilter:
    return ReservationFilter(order_id=order_id, sku=sku, status=status)


# The filters of the reservation lines (their list and their export).
ReservationQuery = Annotated[ReservationFilter, Depends(_filter)]


@router.get("/reservations")
async def list_reservations(
    uow: UnitOfWorkDep, where: ReservationQuery, limit: Limit = 50, cursor: Cursor = None
) -> ReservationPage:
    """What orders hold per SKU; a backordered order's lines have status `backordered`."""
    found, more = await reservations.list_lines(
        uow,
        where,
        limit=limit,
        after=cursor_position(cursor, _order_and_sku),
    )
    return ReservationPage(
        items=[ReservationRead.model_validate(line, from_attributes=True) for line in found],
        next_cursor=next_cursor(
            found, more, lambda last: {"order_id": last.order_id, "sku": last.sku}
        ),
    )


def _order_and_sku(position: dict[str, Any]) -> tuple[str, str]:
    order_id, sku = keys("order_id", "sku")(position)
    return text(order_id), text(sku)
