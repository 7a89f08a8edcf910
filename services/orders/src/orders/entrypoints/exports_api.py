"""CSV exports over HTTP: any list with its filters, streamed a page at a time.

Each page is read in a short transaction of its own, so a long export holds no transaction
open; it sees every row that existed when its page was read (keyset pagination, no gaps or
repeats for rows that do not change meanwhile).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.order import Order
from orders.entrypoints import csv_customers
from orders.entrypoints.orders_api import OrderQueryParams, filters_of
from orders.service_layer.imports import CUSTOMER
from orders.service_layer.ownership import current_viewer
from orders.service_layer.ports import CustomerFilters, OrderFilters, OrderSort, Position
from servicekit.api import Storable
from servicekit.csvfiles import stream_csv
from servicekit.runtime import runtime_of

router = APIRouter(tags=["exports"])

PAGE = 500
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
}

ORDER_COLUMNS = (
    "id",
    "number",
    "status",
    "fulfilment",
    "billing",
    "stage",
    "order_date",
    "customer_id",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "customer_reference",
    "external_reference",
    "contract_number",
    "archived",
    "created_at",
)


def _csv(filename: str, header: Sequence[str], rows: AsyncIterator[list[Any]]) -> StreamingResponse:
    return StreamingResponse(
        stream_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/exports/customers.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_customers(
    request: Request,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Part of the name or e-mail address"),
        Storable,
    ] = None,
) -> StreamingResponse:
    """Customers by name, in the columns `POST /imports/customers` reads: an export imports
    back unchanged. Only the active customers the caller may see."""
    sessionmaker = runtime_of(request).sessionmaker
    filters = CustomerFilters(q=q, viewer=current_viewer())  # taken now: rows stream later

    async def rows() -> AsyncIterator[list[Any]]:
        after: tuple[str, str] | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                uow = SqlUnitOfWork(session)
                page = await uow.customers.search(filters, limit=PAGE, after=after)
                references = await uow.references.of_entities(CUSTOMER, [c.id for c in page])
            for customer in page:
                yield csv_customers.export_row(customer, references.get(customer.id))
            if len(page) < PAGE:
                return
            after = (page[-1].name, page[-1].id)

    return _csv("customers.csv", csv_customers.COLUMNS, rows())


def _after(order: Order, sort: OrderSort) -> Position:
    values = {
        OrderSort.CREATED_AT: order.created_at,
        OrderSort.ORDER_DATE: order.order_date,
        OrderSort.NUMBER: order.number,
        OrderSort.GROSS: order.totals.gross,
    }
    return values[sort], order.id


def _order_row(order: Order) -> list[Any]:
    totals = order.totals
    return [
        order.id,
        order.number,
        order.status.value,
        order.fulfilment.value,
        order.billing.value,
        order.stage,
        order.order_date.isoformat(),
        order.customer_id,
        order.currency,
        totals.net,
        totals.tax,
        totals.gross,
        order.customer_reference,
        order.external_reference,
        order.contract_number,
        "true" if order.archived_at is not None else "false",
        order.created_at.isoformat(),
    ]


@router.get("/exports/orders.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_orders(request: Request, query: OrderQueryParams) -> StreamingResponse:
    """Orders with the filters and sort of `GET /orders`, one row each."""
    filters: OrderFilters = filters_of(query)
    sessionmaker = runtime_of(request).sessionmaker

    async def rows() -> AsyncIterator[list[Any]]:
        after: Position | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                page = await SqlUnitOfWork(session).orders.search(filters, limit=PAGE, after=after)
            for order in page:
                yield _order_row(order)
            if len(page) < PAGE:
                return
            after = _after(page[-1], filters.sort)

    return _csv("orders.csv", ORDER_COLUMNS, rows())
