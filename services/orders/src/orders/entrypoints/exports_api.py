"""CSV exports over HTTP: any list with its filters, streamed a page at a time.

Each page is read in a short transaction of its own, so a long export holds no transaction
open; it sees every row that existed when its page was read (keyset pagination, no gaps or
repeats for rows that do not change meanwhile).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.order import Order
from orders.domain.quote import Quote
from orders.entrypoints import csv_customers, csv_price_lists
from orders.entrypoints.customers_api import CustomerQuery
from orders.entrypoints.orders_api import OrderQueryParams, filters_of
from orders.entrypoints.quotes_api import QuoteQuery
from orders.service_layer import quotes
from orders.service_layer.imports import CUSTOMER, PRICE_LIST
from orders.service_layer.ports import OrderFilters, OrderSort, Position
from servicekit.api import Storable
from servicekit.csvfiles import stream_csv
from servicekit.runtime import runtime_of

router = APIRouter(tags=["exports"])

PAGE = 500
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
}

AMOUNT_COLUMNS = ("currency", "net_total", "tax_total", "gross_total")
ORDER_COLUMNS = (
    "id",
    "number",
    "status",
    "fulfilment",
    "billing",
    "stage",
    "order_date",
    "customer_id",
    *AMOUNT_COLUMNS,
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
async def export_customers(request: Request, filters: CustomerQuery) -> StreamingResponse:
    """Customers by name with the filters of `GET /customers` (only those the caller may see),
    in the columns `POST /imports/customers` reads: an export imports back unchanged."""
    sessionmaker = runtime_of(request).sessionmaker

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


QUOTE_COLUMNS = (
    "id",
    "number",
    "status",
    "quote_date",
    "valid_until",
    "customer_id",
    *AMOUNT_COLUMNS,
    "customer_reference",
    "owner",
    "created_at",
)


def _quote_row(quote: Quote) -> list[Any]:
    totals = quote.totals
    return [
        quote.id,
        quote.number,
        quote.status_on(quotes.today()).value,
        quote.quote_date.isoformat(),
        quote.valid_until.isoformat(),
        quote.customer_id,
        quote.currency,
        totals.net,
        totals.tax,
        totals.gross,
        quote.customer_reference,
        quote.owner,
        quote.created_at.isoformat(),
    ]


@router.get("/exports/quotes.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_quotes(request: Request, filters: QuoteQuery) -> StreamingResponse:
    """Quotes, newest first, with the filters of `GET /quotes` (only those the caller may see)."""
    sessionmaker = runtime_of(request).sessionmaker

    async def rows() -> AsyncIterator[list[Any]]:
        before: tuple[datetime, str] | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                page = await SqlUnitOfWork(session).quotes.search(
                    filters, limit=PAGE, before=before
                )
            for quote in page:
                yield _quote_row(quote)
            if len(page) < PAGE:
                return
            before = (page[-1].created_at, page[-1].id)

    return _csv("quotes.csv", QUOTE_COLUMNS, rows())


@router.get("/exports/price-lists.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_price_lists(
    request: Request,
    customer_id: uuid.UUID | None = None,
    customer_group: Annotated[str | None, Query(max_length=50), Storable] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> StreamingResponse:
    """Price lists, newest first, with the filters of `GET /price-lists`, one row per price
    break in the columns `POST /imports/price-lists` reads: an export imports back unchanged."""
    sessionmaker = runtime_of(request).sessionmaker

    async def rows() -> AsyncIterator[list[Any]]:
        after: tuple[datetime, str] | None = None
        while True:
            async with sessionmaker() as session, session.begin():
                uow = SqlUnitOfWork(session)
                page, more = await uow.price_lists.page(
                    customer_id=str(customer_id) if customer_id else None,
                    customer_group=customer_group,
                    currency=currency,
                    limit=PAGE,
                    after=after,
                )
                ids = [p.id for p in page]
                references = await uow.references.of_entities(PRICE_LIST, ids)
            for price_list in page:
                for row in csv_price_lists.export_rows(price_list, references.get(price_list.id)):
                    yield row
            if not more or not page:
                return
            after = (page[-1].created_at, page[-1].id)

    return _csv("price-lists.csv", csv_price_lists.COLUMNS, rows())
