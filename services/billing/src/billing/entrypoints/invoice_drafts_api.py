"""Draft invoices: created from an order for chosen quantities (`POST /orders/{id}/invoices`),
changed while they are drafts, then issued (numbered on issue) or discarded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from billing.config import BillingSettings
from billing.domain.drafts import DraftNotEditable, DraftStatus, InvoiceDraft
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import UninvoiceableOrder
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep, created_once
from billing.entrypoints.invoice_drafts_schemas import (
    InvoiceDraftCreate,
    InvoiceDraftDiscard,
    InvoiceDraftPage,
    InvoiceDraftRead,
    InvoiceDraftUpdate,
)
from billing.entrypoints.invoices_schemas import InvoiceRead
from billing.service_layer import drafts, order_invoicing
from billing.service_layer.drafts import DraftFilter, DraftPosition
from servicekit.api import (
    NO_NUL,
    Cursor,
    ErrorTable,
    IdempotencyKey,
    Limit,
    Storable,
    problem_responses,
    problems_from,
)
from servicekit.concurrency import IfMatch, entity_tag, require_match, tagged
from servicekit.http import Conflict, InvalidInput, NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, cursor_position, page_of
from servicekit.runtime import runtime_of

router = APIRouter(tags=["draft invoices"], dependencies=ACCOUNTING_FOR_CHANGES)

OrderId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]
DraftId = Annotated[str, Path(max_length=36, pattern=NO_NUL)]

REFUSALS: ErrorTable = {
    order_invoicing.OrderUnknown: lambda exc: NotFound(f"billing knows no order {exc}"),
    drafts.DraftUnknown: lambda exc: NotFound(f"no draft invoice {exc}"),
    order_invoicing.UnknownLine: lambda exc: InvalidInput.field(
        f"body.lines.{exc.index}.line_no", str(exc)
    ),
    order_invoicing.BeyondInvoiceable: Conflict,
    order_invoicing.OrderNotInvoiceable: Conflict,
    DraftNotEditable: Conflict,
    UninvoiceableOrder: Conflict,
}


def _default_policy(request: Request) -> InvoicingPolicy:
    settings = runtime_of(request).settings
    assert isinstance(settings, BillingSettings)
    return settings.invoicing_policy


def _today() -> date:
    return datetime.now(UTC).date()


def _quantities(body: InvoiceDraftCreate) -> drafts.Quantities:
    return [(line.line_no, line.quantity) for line in body.lines]


@router.post(
    "/orders/{order_id}/invoices",
    status_code=201,
    response_model=InvoiceDraftRead,
    responses=problem_responses(404, 409, 422),
)
async def create_invoice_draft(
    request: Request,
    order_id: OrderId,
    body: InvoiceDraftCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A draft invoice of chosen quantities of the order's lines (no number yet: issue it with
    `POST /invoice-drafts/{id}/issue`). Never beyond what the order's policy allows (on
    delivery: what shipped and is not invoiced; else what is not invoiced): 409, nothing kept."""

    async def create() -> tuple[int, Any]:
        draft = await drafts.create_draft(
            uow,
            order_id,
            _quantities(body),
            default_policy=_default_policy(request),
            correlation_id=current_correlation_id(),
        )
        return 201, InvoiceDraftRead.of(draft)

    return await created_once(
        request,
        uow,
        scope="order-invoices",
        key=idempotency_key,
        body={"order_id": order_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )


def _position(position: dict[str, Any]) -> DraftPosition:
    created_at, draft_id = created_at_and_id(position)
    return DraftPosition(created_at=created_at, id=draft_id)


async def _filter(
    order_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    status: DraftStatus | None = None,
) -> DraftFilter:
    return DraftFilter(order_id=order_id, status=status)


# The filters of the draft invoices (their list and their export).
DraftQuery = Annotated[DraftFilter, Depends(_filter)]


@router.get("/invoice-drafts", response_model=InvoiceDraftPage, responses=problem_responses(422))
async def list_invoice_drafts(
    uow: UnitOfWorkDep, where: DraftQuery, limit: Limit = 50, cursor: Cursor = None
) -> InvoiceDraftPage:
    """Draft invoices (and the issued or discarded ones), newest first."""
    found = await uow.invoice_drafts.search(
        where, limit=limit + 1, after=cursor_position(cursor, _position)
    )
    page, next_cursor = page_of(
        found, limit, lambda draft: {"created_at": draft.created_at, "id": draft.id}
    )
    return InvoiceDraftPage(
        items=[InvoiceDraftRead.of(draft) for draft in page], next_cursor=next_cursor
    )


@router.get(
    "/invoice-drafts/{draft_id}",
    response_model=InvoiceDraftRead,
    responses=problem_responses(404),
)
async def get_invoice_draft(
    draft_id: DraftId, uow: UnitOfWorkDep, response: Response
) -> InvoiceDraftRead:
    """One draft invoice, with its `ETag`."""
    with problems_from(REFUSALS):
        draft = await drafts.get_draft(uow, draft_id)
    return tagged(response, InvoiceDraftRead.of(draft))


@router.patch(
    "/invoice-drafts/{draft_id}",
    response_model=InvoiceDraftRead,
    responses=problem_responses(404, 409, 412, 422),
)
async def change_invoice_draft(
    request: Request,
    draft_id: DraftId,
    body: InvoiceDraftUpdate,
    uow: UnitOfWorkDep,
    response: Response,
    if_match: IfMatch = None,
) -> InvoiceDraftRead:
    """Replace the draft's quantities (409 once issued or discarded; 412 when `If-Match` is
    stale)."""

    def matching(current: InvoiceDraft) -> None:
        if if_match is not None:
            require_match(if_match, entity_tag(InvoiceDraftRead.of(current)))

    async with uow.session.begin():
        with problems_from(REFUSALS):
            draft = await drafts.change_draft(
                uow,
                draft_id,
                _quantities(body),
                default_policy=_default_policy(request),
                correlation_id=current_correlation_id(),
                check=matching,
            )
    return tagged(response, InvoiceDraftRead.of(draft))


@router.post(
    "/invoice-drafts/{draft_id}/issue",
    status_code=201,
    response_model=InvoiceRead,
    responses=problem_responses(404, 409),
)
async def issue_invoice_draft(
    request: Request,
    draft_id: DraftId,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Issue the draft: the invoice of the same id, numbered now (`invoice.issued`). 409 when
    it was issued or discarded already, or when what it invoices is no longer invoiceable."""

    async def create() -> tuple[int, Any]:
        invoice = await drafts.issue_draft(
            uow,
            draft_id,
            today=_today(),
            default_policy=_default_policy(request),
            correlation_id=current_correlation_id(),
        )
        return 201, InvoiceRead.of(invoice)

    return await created_once(
        request,
        uow,
        scope="invoice-draft-issue",
        key=idempotency_key,
        body={"draft": draft_id},
        create=create,
        refusals=REFUSALS,
    )


@router.post(
    "/invoice-drafts/{draft_id}/discard",
    response_model=InvoiceDraftRead,
    responses=problem_responses(404, 409, 422),
)
async def discard_invoice_draft(
    draft_id: DraftId, uow: UnitOfWorkDep, body: InvoiceDraftDiscard | None = None
) -> InvoiceDraftRead:
    """Discard the draft for good (409 once issued or discarded)."""
    async with uow.session.begin():
        with problems_from(REFUSALS):
            draft = await drafts.discard_draft(
                uow,
                draft_id,
                body.reason if body is not None else None,
                correlation_id=current_correlation_id(),
            )
    return InvoiceDraftRead.of(draft)
