"""Quotes over HTTP: create, list, edit, send, accept, reject, convert, PDF and timeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.quote import QuoteStatus
from orders.entrypoints import content_schemas, mapping, orders_schemas, quotes_schemas
from orders.entrypoints.common import (
    PROBLEMS,
    SALES,
    an_id,
    created_once,
    creating,
    pdf_redirect,
    redirect_to_document,
    run_query,
    run_use_case,
    unit_of_work,
)
from orders.entrypoints.ownership_schemas import OwnerParam, TeamParam
from orders.service_layer import quotes, timeline
from orders.service_layer.ownership import current_viewer
from orders.service_layer.ports import QuoteFilters
from servicekit.api import Cursor, IdempotencyKey, Limit, Storable
from servicekit.http import NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, created_at_and_id_of, cursor_position, page_of

router = APIRouter(tags=["quotes"])


def _created_at_and_id(position: dict[str, Any]) -> tuple[datetime, str]:
    created_at, last_id = created_at_and_id(position)
    return created_at, an_id(last_id)


def _quote_action(path: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST by sales that changes one quote and answers with it."""
    return router.post(
        path, dependencies=SALES, response_model=quotes_schemas.QuoteRead, responses=PROBLEMS
    )


@creating(router, "/quotes", quotes_schemas.QuoteRead)
async def create_quote(
    body: quotes_schemas.QuoteCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a draft quote (QT-<year>-<number>), valid 30 days unless `valid_until` is given."""
    new = quotes.NewQuote(
        **mapping.content(body), quote_date=body.quote_date, valid_until=body.valid_until
    )

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        return await mapping.read_quote(uow, await quotes.create_quote(uow, new))

    return await created_once(
        request,
        scope="quotes",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )


async def quote_filters(
    status: QuoteStatus | None = None,
    customer_id: uuid.UUID | None = None,
    opportunity_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Part of number, description, reference"),
        Storable,
    ] = None,
    owner: OwnerParam = None,
    team: TeamParam = None,
) -> QuoteFilters:
    """The filters of quote lists, limited to what the caller may see."""
    viewer = current_viewer()
    return QuoteFilters(
        status=status,
        customer_id=str(customer_id) if customer_id else None,
        opportunity_id=opportunity_id,
        q=q,
        today=quotes.today(),
        owner=viewer.resolve_owner(owner),
        team=team,
        viewer=viewer,
    )


QuoteQuery = Annotated[QuoteFilters, Depends(quote_filters)]


@router.get("/quotes", response_model=quotes_schemas.QuotePage, responses=PROBLEMS)
async def list_quotes(
    request: Request, filters: QuoteQuery, limit: Limit = 50, cursor: Cursor = None
) -> quotes_schemas.QuotePage:
    """Quotes, newest first; `status=expired` finds sent quotes past their validity date."""
    before = cursor_position(cursor, _created_at_and_id)
    async with unit_of_work(request) as uow:
        found = await uow.quotes.search(filters, limit=limit + 1, before=before)
        page, next_cursor = page_of(found, limit, created_at_and_id_of)
        items = await mapping.quote_reads(uow, page)
    return quotes_schemas.QuotePage(items=items, next_cursor=next_cursor)


@router.get("/quotes/{quote_id}", response_model=quotes_schemas.QuoteRead, responses=PROBLEMS)
async def get_quote(quote_id: str, request: Request) -> quotes_schemas.QuoteRead:
    """One quote, with the orders made from it and its documents."""
    return await run_use_case(request, mapping.read_quote, quotes.get_quote, quote_id)


@router.patch(
    "/quotes/{quote_id}",
    dependencies=SALES,
    response_model=quotes_schemas.QuoteRead,
    responses=PROBLEMS,
)
async def update_quote(
    quote_id: str, body: quotes_schemas.QuoteUpdate, request: Request
) -> quotes_schemas.QuoteRead:
    """Change a draft quote; given lines replace all its lines. 409 once sent."""
    lines = mapping.line_inputs(body.lines) if body.lines is not None else None
    return await run_use_case(
        request, mapping.read_quote, quotes.revise_quote, quote_id, mapping.changes(body), lines
    )


@_quote_action("/quotes/{quote_id}/send")
async def send_quote(quote_id: str, request: Request) -> quotes_schemas.QuoteRead:
    """draft → sent; emits quote.sent (the documents service renders its PDF)."""
    return await run_use_case(
        request,
        mapping.read_quote,
        quotes.send_quote,
        quote_id,
        correlation_id=current_correlation_id(),
    )


@_quote_action("/quotes/{quote_id}/accept")
async def accept_quote(quote_id: str, request: Request) -> quotes_schemas.QuoteRead:
    """sent → accepted (409 once expired); emits quote.accepted."""
    return await run_use_case(
        request,
        mapping.read_quote,
        quotes.accept_quote,
        quote_id,
        correlation_id=current_correlation_id(),
    )


@_quote_action("/quotes/{quote_id}/reject")
async def reject_quote(
    quote_id: str, request: Request, body: quotes_schemas.QuoteReject | None = None
) -> quotes_schemas.QuoteRead:
    """sent → rejected, with an optional reason (409 once expired); emits quote.rejected."""
    reason = body.reason if body is not None else None
    return await run_use_case(
        request,
        mapping.read_quote,
        quotes.reject_quote,
        quote_id,
        reason,
        correlation_id=current_correlation_id(),
    )


@creating(router, "/quotes/{quote_id}/convert", orders_schemas.OrderRead)
async def convert_quote(
    quote_id: str, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """An accepted quote → a new draft order with all its content; emits order.created and
    quote.converted."""

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        _, order = await quotes.convert_quote(
            uow, quote_id, correlation_id=current_correlation_id()
        )
        return await mapping.read_order(uow, order)

    return await created_once(
        request,
        scope="quotes.convert",
        key=idempotency_key,
        body={"quote_id": quote_id},
        create=create,
    )


@pdf_redirect(router, "/quotes/{quote_id}/pdf")
async def quote_pdf(quote_id: str, request: Request) -> RedirectResponse:
    """Redirect to the latest PDF of the quote (rendered once it is sent)."""
    quote = await run_query(request, quotes.get_quote, quote_id)
    document = quote.latest_document
    if document is None:
        raise NotFound(f"no PDF of quote {quote.number} exists yet")
    return redirect_to_document(request, document.download_path)


@router.get(
    "/quotes/{quote_id}/timeline", response_model=content_schemas.TimelineRead, responses=PROBLEMS
)
async def quote_timeline(quote_id: str, request: Request) -> content_schemas.TimelineRead:
    """What happened to the quote, oldest first."""
    return mapping.timeline_read(await run_query(request, timeline.quote_timeline, quote_id))
