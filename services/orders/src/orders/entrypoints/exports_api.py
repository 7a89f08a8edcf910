"""CSV exports over HTTP: any list with its filters, streamed a page at a time.

Each page is read in a short transaction of its own, so a long export holds no transaction
open; it sees every row that existed when its page was read (keyset pagination, no gaps or
repeats for rows that do not change meanwhile).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.catalogue import Availability, CatalogueItem
from orders.domain.customer import Customer, CustomerGroup
from orders.domain.order import Order
from orders.domain.price_lists import PriceList
from orders.domain.quote import Quote
from orders.domain.webhooks import Delivery, Subscription
from orders.entrypoints import csv_contacts, csv_customers, csv_price_lists
from orders.entrypoints.common import PROBLEMS, run_query
from orders.entrypoints.customers_api import CustomerQuery
from orders.entrypoints.items_api import ItemQuery
from orders.entrypoints.opportunities_api import OpportunityId, find_opportunity
from orders.entrypoints.orders_api import OrderQueryParams, filters_of
from orders.entrypoints.quotes_api import QuoteQuery
from orders.entrypoints.webhooks_api import MANAGERS, DeliveryStatusQuery
from orders.entrypoints.webhooks_api import problems as webhook_problems
from orders.service_layer import customer_groups, quotes, webhooks
from orders.service_layer.imports import CONTACT, CUSTOMER, PRICE_LIST
from orders.service_layer.ports import OrderFilters, OrderSort, Position
from pricing.amounts import in_currency, plain
from servicekit.api import Storable
from servicekit.csvfiles import CSV_ANSWER, EXPORT_PAGE, csv_response, line_rows_of, paged, rows_of
from servicekit.runtime import runtime_of

router = APIRouter(tags=["exports"])

PAGE = EXPORT_PAGE
T = TypeVar("T")

AMOUNT_COLUMNS = ("currency", "net_total", "tax_total", "gross_total")
ORDER_COLUMNS = (
    "id",
    "number",
    "status",
    "fulfilment",
    "billing",
    "stage",
    "order_date",
    "requested_delivery_date",
    "promised_delivery_date",
    "customer_id",
    *AMOUNT_COLUMNS,
    "customer_reference",
    "external_reference",
    "contract_number",
    "archived",
    "created_at",
)


_WithRows = tuple[T, list[list[Any]]]  # a record and its rows, read in one transaction


def _second(pair: tuple[Any, Any]) -> Any:
    return pair[1]


@router.get("/exports/customers.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_customers(request: Request, filters: CustomerQuery) -> StreamingResponse:
    """Customers by name with the filters of `GET /customers` (only those the caller may see),
    in the columns `POST /imports/customers` reads: an export imports back unchanged."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: tuple[str, str] | None) -> tuple[list[tuple[Customer, list[Any]]], bool]:
        async with sessionmaker() as session, session.begin():
            uow = SqlUnitOfWork(session)
            page = await uow.customers.search(filters, limit=PAGE, after=after)
            references = await uow.references.of_entities(CUSTOMER, [c.id for c in page])
        rows = [csv_customers.export_row(c, references.get(c.id)) for c in page]
        return list(zip(page, rows, strict=True)), len(page) == PAGE

    pairs = paged(read, lambda pair: (pair[0].name, pair[0].id))
    return csv_response("customers.csv", csv_customers.COLUMNS, rows_of(pairs, _second))


@router.get("/exports/contacts.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_contacts(request: Request, filters: CustomerQuery) -> StreamingResponse:
    """The contacts of the customers `GET /customers` lists with these filters (only those the
    caller may see), by customer name, in the columns `POST /imports/contacts` reads: an export
    imports back unchanged (a contact's id names it where it has no external reference)."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(
        after: tuple[str, str] | None,
    ) -> tuple[list[_WithRows[Customer]], bool]:
        async with sessionmaker() as session, session.begin():
            uow = SqlUnitOfWork(session)
            page = await uow.customers.search(filters, limit=PAGE, after=after)
            ids = [c.id for c in page]
            found = await uow.contacts.of_customers(ids)
            customer_refs = await uow.references.of_entities(CUSTOMER, ids)
            contact_refs = await uow.references.of_entities(CONTACT, [c.id for c in found])
        rows: dict[str, list[list[Any]]] = {customer_id: [] for customer_id in ids}
        for contact in found:
            customer = customer_refs.get(contact.customer_id) or contact.customer_id
            reference = contact_refs.get(contact.id) or contact.id
            rows[contact.customer_id].append(csv_contacts.export_row(contact, reference, customer))
        return [(c, rows[c.id]) for c in page], len(page) == PAGE

    found = paged(read, lambda pair: (pair[0].name, pair[0].id))
    return csv_response("contacts.csv", csv_contacts.COLUMNS, line_rows_of(found, _second))


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
        order.requested_delivery_date,
        order.promised_delivery_date,
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
    return _orders_csv(request, filters_of(query), "orders.csv")


@router.get(
    "/exports/opportunities/{opportunity_id}/orders.csv",
    response_class=StreamingResponse,
    responses={**CSV_ANSWER, **PROBLEMS},
)
async def export_opportunity_orders(
    opportunity_id: OpportunityId, request: Request, query: OrderQueryParams
) -> StreamingResponse:
    """The opportunity's orders with the filters and sort of `GET /opportunities/{id}/orders`,
    in the columns of the orders export; 404 when no order or quote names it."""
    found = await find_opportunity(request, opportunity_id)
    filters = filters_of(query, opportunity_id=found.id)
    return _orders_csv(request, filters, "opportunity-orders.csv")


def _orders_csv(request: Request, filters: OrderFilters, filename: str) -> StreamingResponse:
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: Position | None) -> tuple[list[Order], bool]:
        async with sessionmaker() as session, session.begin():
            page = await SqlUnitOfWork(session).orders.search(filters, limit=PAGE, after=after)
        return page, len(page) == PAGE

    found = paged(read, lambda order: _after(order, filters.sort))
    return csv_response(filename, ORDER_COLUMNS, rows_of(found, _order_row))


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

    async def read(before: tuple[datetime, str] | None) -> tuple[list[Quote], bool]:
        async with sessionmaker() as session, session.begin():
            page = await SqlUnitOfWork(session).quotes.search(filters, limit=PAGE, before=before)
        return page, len(page) == PAGE

    found = paged(read, lambda quote: (quote.created_at, quote.id))
    return csv_response("quotes.csv", QUOTE_COLUMNS, rows_of(found, _quote_row))


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

    async def read(
        after: tuple[datetime, str] | None,
    ) -> tuple[list[tuple[PriceList, list[list[Any]]]], bool]:
        async with sessionmaker() as session, session.begin():
            uow = SqlUnitOfWork(session)
            page, more = await uow.price_lists.page(
                customer_id=str(customer_id) if customer_id else None,
                customer_group=customer_group,
                currency=currency,
                limit=PAGE,
                after=after,
            )
            references = await uow.references.of_entities(PRICE_LIST, [p.id for p in page])
        return [(p, csv_price_lists.export_rows(p, references.get(p.id))) for p in page], more

    found = paged(read, lambda pair: (pair[0].created_at, pair[0].id))
    return csv_response("price-lists.csv", csv_price_lists.COLUMNS, line_rows_of(found, _second))


# --- the catalogue view and customer groups --------------------------------------------------

ITEM_COLUMNS = (
    "sku",
    "name",
    "kind",
    "description",
    "unit_of_measure",
    "tax_category",
    "active",
    "barcode",
    "list_prices",
    "on_hand",
    "reserved",
    "available",
)


def _item_row(pair: tuple[CatalogueItem, Availability]) -> list[Any]:
    item, stock = pair
    prices = " ".join(
        f"{currency} {in_currency(amount, currency)}"
        for currency, amount in sorted(item.list_prices.items())
    )
    return [
        item.sku,
        item.name,
        item.kind,
        item.description,
        item.unit_of_measure,
        item.tax_category,
        "true" if item.active else "false",
        item.barcode,
        prices or None,
        plain(stock.on_hand),
        plain(stock.reserved),
        plain(stock.available),
    ]


@router.get("/exports/items.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_items(request: Request, where: ItemQuery) -> StreamingResponse:
    """Catalogue items in SKU order with the filters of `GET /items`, each with its availability
    over every warehouse; `list_prices` as `EUR 12.50 USD 13.90`."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: str | None) -> tuple[list[tuple[CatalogueItem, Availability]], bool]:
        async with sessionmaker() as session, session.begin():
            catalogue = SqlUnitOfWork(session).catalogue
            page, more = await catalogue.search(
                text=where.q, active=where.active, limit=PAGE, after_sku=after
            )
            stock = await catalogue.availability([item.sku for item in page])
        return [(item, stock.get(item.sku, Availability())) for item in page], more

    found = paged(read, lambda pair: pair[0].sku)
    return csv_response("items.csv", ITEM_COLUMNS, rows_of(found, _item_row))


GROUP_COLUMNS = ("code", "name", "description", "created_at")


def _group_row(group: CustomerGroup) -> list[Any]:
    return [group.code, group.name, group.description, group.created_at]


@router.get("/exports/customer-groups.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_customer_groups(request: Request) -> StreamingResponse:
    """Every customer group by code, as `GET /customer-groups` lists them (one page)."""

    async def read(after: None) -> tuple[list[CustomerGroup], bool]:
        return await run_query(request, customer_groups.list_groups), False

    found = paged(read, lambda _: None)
    return csv_response("customer-groups.csv", GROUP_COLUMNS, rows_of(found, _group_row))


# --- webhooks (administrators and integrations, as their lists) ---------------------------------

WEBHOOK_COLUMNS = (
    "id",
    "url",
    "event_types",
    "description",
    "active",
    "consecutive_failures",
    "disabled_reason",
    "created_by",
    "created_at",
    "updated_at",
)


def _webhook_row(subscription: Subscription) -> list[Any]:
    return [
        subscription.id,
        subscription.url,
        " ".join(subscription.event_types),
        subscription.description,
        "true" if subscription.active else "false",
        subscription.consecutive_failures,
        subscription.disabled_reason,
        subscription.created_by,
        subscription.created_at,
        subscription.updated_at,
    ]


def _created(item: Subscription | Delivery) -> tuple[datetime, str]:
    assert item.created_at is not None  # a stored record has its creation time
    return item.created_at, item.id


@router.get(
    "/exports/webhooks.csv",
    response_class=StreamingResponse,
    responses=CSV_ANSWER,
    dependencies=MANAGERS,
)
async def export_webhooks(request: Request) -> StreamingResponse:
    """Webhook subscriptions, oldest first, as `GET /webhooks` lists them (never the secret)."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: tuple[datetime, str] | None) -> tuple[list[Subscription], bool]:
        async with sessionmaker() as session, session.begin():
            found = await SqlUnitOfWork(session).webhooks.list_all(after=after, limit=PAGE + 1)
        return found[:PAGE], len(found) > PAGE

    found = paged(read, _created)
    return csv_response("webhooks.csv", WEBHOOK_COLUMNS, rows_of(found, _webhook_row))


DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "event_type",
    "order_id",
    "status",
    "attempts",
    "last_attempt_at",
    "last_status_code",
    "last_error",
    "response_ms",
    "next_attempt_at",
    "delivered_at",
    "created_at",
)


def _delivery_row(delivery: Delivery) -> list[Any]:
    return [
        delivery.id,
        delivery.event_id,
        delivery.event_type,
        delivery.order_id,
        delivery.status.value,
        delivery.attempts,
        delivery.last_attempt_at,
        delivery.last_status_code,
        delivery.last_error,
        delivery.response_ms,
        delivery.next_attempt_at,
        delivery.delivered_at,
        delivery.created_at,
    ]


@router.get(
    "/exports/webhooks/{subscription_id}/deliveries.csv",
    response_class=StreamingResponse,
    responses={**CSV_ANSWER, **PROBLEMS},
    dependencies=MANAGERS,
)
async def export_deliveries(
    subscription_id: uuid.UUID, request: Request, status: DeliveryStatusQuery = None
) -> StreamingResponse:
    """The subscription's delivery log, newest first, with the filter of its list (the payloads
    left out); 404 for an unknown subscription."""
    with webhook_problems():
        await run_query(request, webhooks.get_subscription, str(subscription_id))
    sessionmaker = runtime_of(request).sessionmaker

    async def read(before: tuple[datetime, str] | None) -> tuple[list[Delivery], bool]:
        async with sessionmaker() as session, session.begin():
            found = await SqlUnitOfWork(session).webhooks.deliveries(
                str(subscription_id), status=status, after=before, limit=PAGE + 1
            )
        return found[:PAGE], len(found) > PAGE

    found = paged(read, _created)
    return csv_response("webhook-deliveries.csv", DELIVERY_COLUMNS, rows_of(found, _delivery_row))
