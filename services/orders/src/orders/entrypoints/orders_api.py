"""Orders over HTTP: create, copy, list, edit, transitions, archive, PDF and timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.order import Order, OrderSummary
from orders.entrypoints import content_schemas, mapping, orders_schemas
from orders.entrypoints.common import (
    CONDITIONAL_PROBLEMS,
    PROBLEMS,
    SALES,
    SALES_OR_INTEGRATION,
    an_id,
    created_once,
    creating,
    pdf_redirect,
    problems,
    reading,
    redirect_to_document,
    run_conditional_change,
    run_lookup,
    run_read,
    run_use_case,
)
from orders.service_layer import orders, timeline
from orders.service_layer.ownership import current_viewer
from orders.service_layer.ports import OrderFilters, OrderSort, Position
from servicekit.api import Cursor, IdempotencyKey, Limit
from servicekit.concurrency import IfMatch, tagged
from servicekit.http import NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import aware_datetime, cursor_position, page_of, text

router = APIRouter(tags=["orders"])

OrderQueryParams = Annotated[orders_schemas.OrderQuery, Query()]


# --- lists ---------------------------------------------------------------------------------------


def filters_of(query: orders_schemas.OrderQuery, **overrides: Any) -> OrderFilters:
    """The query's filters, limited to what the caller may see (`owner=me`: the caller's)."""
    values = query.model_dump(exclude_none=True)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "customer_id" in values:
        values["customer_id"] = str(values["customer_id"])
    viewer = current_viewer()
    values["owner"] = viewer.resolve_owner(values.get("owner"))
    return OrderFilters(**values, viewer=viewer)


def _position(filters: OrderFilters, cursor: str | None) -> Position | None:
    """Where the previous page ended; a cursor of another sort is refused."""

    def read(position: dict[str, Any]) -> Position:
        if "sort" not in position:  # the first version's cursors: by creation, newest first
            position = {
                "sort": OrderSort.CREATED_AT.value,
                "direction": "desc",
                "value": position.get("created_at"),
                "id": position.get("id"),
            }
        sort = (position.get("sort"), position.get("direction"))
        if sort != (filters.sort.value, filters.direction.value):
            raise ValueError("a cursor of another sort")
        return _sort_value(filters.sort, text(position["value"])), an_id(position["id"])

    return cursor_position(cursor, read)


def _sort_value(sort: OrderSort, raw: str) -> Any:
    """The sort column's value from its cursor form (ValueError if it is not one)."""
    if sort is OrderSort.CREATED_AT:
        return aware_datetime(raw)
    if sort is OrderSort.ORDER_DATE:
        return date.fromisoformat(raw)
    if sort is OrderSort.GROSS:
        return Decimal(raw)
    return raw


def _cursor_value(order: Order | OrderSummary, sort: OrderSort) -> str:
    if sort is OrderSort.CREATED_AT:
        return order.created_at.isoformat()
    if sort is OrderSort.ORDER_DATE:
        return order.order_date.isoformat()
    if sort is OrderSort.GROSS:
        return str(order.gross if isinstance(order, OrderSummary) else order.totals.gross)
    return order.number


OrderPages = orders_schemas.OrderPage | orders_schemas.OrderSummaryPage
ViewParam = Annotated[
    orders_schemas.OrderView,
    Query(
        description=(
            "`summary`: each order's header, states and stored totals alone (no lines, "
            "addresses, documents or tax breakdown), a fraction of the cost of `full`"
        )
    ),
]


def _position_of(filters: OrderFilters) -> Callable[[Order | OrderSummary], dict[str, Any]]:
    """The cursor position of a page's last order, in the filters' sort."""

    def position_of(order: Order | OrderSummary) -> dict[str, Any]:
        return {
            "sort": filters.sort.value,
            "direction": filters.direction.value,
            "value": _cursor_value(order, filters.sort),
            "id": order.id,
        }

    return position_of


_Found = TypeVar("_Found", Order, OrderSummary)
_Read = TypeVar("_Read")


async def _page_read(
    request: Request,
    filters: OrderFilters,
    limit: int,
    cursor: str | None,
    find: Callable[[SqlUnitOfWork, Position | None], Awaitable[list[_Found]]],
    read: Callable[[SqlUnitOfWork, list[_Found]], Awaitable[list[_Read]]],
) -> tuple[list[_Read], str | None]:
    """The page `find(uow, after)` finds (one more than `limit`, to know whether another
    follows), read by `read`; and the cursor of the next page, in the filters' sort."""
    after = _position(filters, cursor)
    with problems():
        async with reading(request) as uow:
            found = await find(uow, after)
            page, next_cursor = page_of(found, limit, _position_of(filters))
            return await read(uow, page), next_cursor


async def order_page(
    request: Request, filters: OrderFilters, limit: int, cursor: str | None
) -> orders_schemas.OrderPage:
    """One page of orders in the filters' sort; `next_cursor` continues in the same sort."""
    items, next_cursor = await _page_read(
        request,
        filters,
        limit,
        cursor,
        lambda uow, after: uow.orders.search(filters, limit=limit + 1, after=after),
        mapping.order_reads,
    )
    return orders_schemas.OrderPage(items=items, next_cursor=next_cursor)


async def order_summary_page(
    request: Request, filters: OrderFilters, limit: int, cursor: str | None
) -> orders_schemas.OrderSummaryPage:
    """`order_page` with each order's header alone; its cursors are the same."""
    items, next_cursor = await _page_read(
        request,
        filters,
        limit,
        cursor,
        lambda uow, after: uow.orders.summaries(filters, limit=limit + 1, after=after),
        mapping.order_summary_reads,
    )
    return orders_schemas.OrderSummaryPage(items=items, next_cursor=next_cursor)


async def order_list(
    request: Request,
    filters: OrderFilters,
    limit: int,
    cursor: str | None,
    view: orders_schemas.OrderView,
) -> orders_schemas.OrderPage | Response:
    """A page of orders in the view asked for."""
    if view is orders_schemas.OrderView.SUMMARY:
        summaries = await order_summary_page(request, filters, limit, cursor)
        # Answered as built: FastAPI would check it against the union of both pages, the
        # full one first, failing on every item at several times the answer's own cost.
        return Response(summaries.model_dump_json(), media_type="application/json")
    return await order_page(request, filters, limit, cursor)


@router.get("/orders", response_model=OrderPages, responses=PROBLEMS)
async def list_orders(
    request: Request,
    query: OrderQueryParams,
    limit: Limit = 50,
    cursor: Cursor = None,
    view: ViewParam = orders_schemas.OrderView.FULL,
) -> orders_schemas.OrderPage | Response:
    """Orders, filtered and sorted (newest first by default); archived ones only on request.
    `view=summary` lists each order's header alone."""
    return await order_list(request, filters_of(query), limit, cursor, view)


# --- one order -----------------------------------------------------------------------------------


@creating(router, "/orders", orders_schemas.OrderRead, dependencies=SALES_OR_INTEGRATION)
async def create_order(
    body: orders_schemas.OrderCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a draft order (numbered, totals computed here); emits order.created.

    Without `customer_id`, the customer of the `opportunity` is taken when known.
    """
    new = orders.NewOrder(
        **mapping.content(body),
        order_date=body.order_date,
        contract_number=body.contract_number,
        warehouse=body.warehouse,
        split_allowed=body.split_allowed,
        requested_delivery_date=body.requested_delivery_date,
        promised_delivery_date=body.promised_delivery_date,
    )

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        order = await orders.create_order(uow, new, correlation_id=current_correlation_id())
        return await mapping.read_order(uow, order)

    return await created_once(
        request,
        scope="orders",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )


@creating(router, "/orders/{order_id}/copy", orders_schemas.OrderRead)
async def copy_order(
    order_id: str, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A new draft with the order's lines, prices and texts; customer, contact and opportunity
    are left blank to fill in (PATCH) before confirming."""

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        order = await orders.copy_order(uow, order_id, correlation_id=current_correlation_id())
        return await mapping.read_order(uow, order)

    return await created_once(
        request,
        scope="orders.copy",
        key=idempotency_key,
        body={"order_id": order_id},
        create=create,
    )


@router.get("/orders/{order_id}", response_model=orders_schemas.OrderRead, responses=PROBLEMS)
async def get_order(
    order_id: str, request: Request, response: Response
) -> orders_schemas.OrderRead:
    """One order with its lines, totals, state and documents; `ETag` for `If-Match`."""
    read = await run_read(request, mapping.read_order, orders.get_order, order_id)
    return tagged(response, read)


async def _change(
    request: Request,
    response: Response,
    if_match: str | None,
    order_id: str,
    use_case: Callable[..., Awaitable[Order]],
    *args: Any,
    **kwargs: Any,
) -> orders_schemas.OrderRead:
    """`use_case(uow, order_id, ...)`, unless `If-Match` names another version (412)."""

    async def locked(uow: SqlUnitOfWork) -> Order:
        return await orders.get_order(uow, order_id, for_update=True)

    return await run_conditional_change(
        request, response, if_match, mapping.read_order, locked, use_case, order_id, *args, **kwargs
    )


@router.patch(
    "/orders/{order_id}",
    dependencies=SALES,
    response_model=orders_schemas.OrderRead,
    responses=CONDITIONAL_PROBLEMS,
)
async def update_order(
    order_id: str,
    body: orders_schemas.OrderUpdate,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> orders_schemas.OrderRead:
    """Change a draft order; given lines replace all its lines. 409 once confirmed; 412 when
    `If-Match` is not the order's current `ETag`."""
    lines = mapping.line_inputs(body.lines) if body.lines is not None else None
    return await _change(
        request,
        response,
        if_match,
        order_id,
        orders.revise_order,
        mapping.changes(body),
        lines,
        correlation_id=current_correlation_id(),
    )


@router.patch(
    "/orders/{order_id}/details",
    dependencies=SALES,
    response_model=orders_schemas.OrderRead,
    responses=CONDITIONAL_PROBLEMS,
)
async def update_order_details(
    order_id: str,
    body: orders_schemas.OrderDetailsUpdate,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> orders_schemas.OrderRead:
    """Fill in the fields stages may require (contract number, payment terms, customer
    reference, contact, addresses) while the order is a draft or open; 412 as for PATCH."""
    return await _change(
        request, response, if_match, order_id, orders.revise_details, mapping.changes(body)
    )


def _order_action(path: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST by sales that changes one order and answers with it."""
    return router.post(
        path, dependencies=SALES, response_model=orders_schemas.OrderRead, responses=PROBLEMS
    )


async def _transition(request: Request, action: Any, *args: Any) -> orders_schemas.OrderRead:
    return await run_use_case(
        request, mapping.read_order, action, *args, correlation_id=current_correlation_id()
    )


@_order_action("/orders/{order_id}/confirm")
async def confirm_order(order_id: str, request: Request) -> orders_schemas.OrderRead:
    """draft → open: stock gets reserved; emits order.confirmed. 422 without a customer, or
    naming a warehouse that is unknown or inactive by now (`body.warehouse`)."""
    return await _transition(request, orders.confirm_order, order_id)


@_order_action("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str, request: Request, body: orders_schemas.OrderCancel | None = None
) -> orders_schemas.OrderRead:
    """draft/open → cancelled: reserved stock is released; emits order.cancelled."""
    reason = body.reason if body is not None else None
    return await _transition(request, orders.cancel_order, order_id, reason)


@_order_action("/orders/{order_id}/close-short")
async def close_short_order(
    order_id: str, request: Request, body: orders_schemas.OrderCloseShort | None = None
) -> orders_schemas.OrderRead:
    """End an open, partially shipped order early: the unshipped remainder is cancelled and
    its stock released; the order then completes and is invoiced for what shipped. Emits
    order.closed_short; 409 when nothing shipped, everything shipped or not open."""
    reason = body.reason if body is not None else None
    return await _transition(request, orders.close_short_order, order_id, reason)


@_order_action("/orders/{order_id}/complete")
async def complete_order(order_id: str, request: Request) -> orders_schemas.OrderRead:
    """open → concluded once fully shipped (services only: at once); emits order.completed."""
    return await _transition(request, orders.complete_order, order_id)


async def _archive(request: Request, order_id: str, archived: bool) -> orders_schemas.OrderRead:
    return await run_use_case(
        request, mapping.read_order, orders.archive_order, order_id, archived=archived
    )


@_order_action("/orders/{order_id}/archive")
async def archive_order(order_id: str, request: Request) -> orders_schemas.OrderRead:
    """Hide a concluded or cancelled order from the default lists (409 otherwise)."""
    return await _archive(request, order_id, True)


@_order_action("/orders/{order_id}/unarchive")
async def unarchive_order(order_id: str, request: Request) -> orders_schemas.OrderRead:
    """Show an archived order in the default lists again."""
    return await _archive(request, order_id, False)


@pdf_redirect(router, "/orders/{order_id}/pdf")
async def order_pdf(
    order_id: str,
    request: Request,
    kind: Literal["order_confirmation", "invoice"] = "order_confirmation",
) -> RedirectResponse:
    """Redirect to the latest PDF of the order (its confirmation, or its invoice)."""
    order = await run_lookup(request, orders.get_order, order_id)
    document = order.latest_document(kind)
    if document is None:
        label = kind.replace("_", " ")
        raise NotFound(f"no {label} PDF of order {order.number} exists yet")
    return redirect_to_document(request, document.download_path)


@router.get(
    "/orders/{order_id}/timeline", response_model=content_schemas.TimelineRead, responses=PROBLEMS
)
async def order_timeline(order_id: str, request: Request) -> content_schemas.TimelineRead:
    """Every event about the order, from every service, oldest first."""
    return mapping.timeline_read(await run_lookup(request, timeline.order_timeline, order_id))
