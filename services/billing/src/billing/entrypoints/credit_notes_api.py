"""Credit notes: issued against an invoice (accounting), listed and read by everyone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from billing.domain.credit_notes import CreditNote, CreditRefused, InvalidCredit
from billing.entrypoints.common import (
    ACCOUNTING_FOR_CHANGES,
    InvoiceId,
    UnitOfWorkDep,
    created_once,
)
from billing.entrypoints.credit_notes_schemas import (
    CreditNoteCreate,
    CreditNotePage,
    CreditNoteRead,
)
from billing.service_layer import credit_notes as use_cases
from billing.service_layer.credit_notes import (
    CreditNoteFilter,
    CreditNotePosition,
    CreditRequest,
)
from servicekit.api import (
    NO_NUL,
    Cursor,
    ErrorTable,
    IdempotencyKey,
    Limit,
    Storable,
    problem_responses,
)
from servicekit.http import Conflict, InvalidInput, NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, cursor_position, page_of

router = APIRouter(tags=["credit notes"], dependencies=ACCOUNTING_FOR_CHANGES)

CreditNoteId = Annotated[str, Path(pattern=NO_NUL, max_length=36)]

REFUSALS: ErrorTable = {
    use_cases.InvoiceNotFound: lambda exc: NotFound(f"no invoice {exc}"),
    InvalidCredit: lambda exc: InvalidInput.field(f"body.{exc.field}", str(exc)),
    CreditRefused: Conflict,
}


def _request(body: CreditNoteCreate) -> CreditRequest:
    if (body.lines is None) == (body.amount is None):
        field = "body.lines" if body.lines is None else "body.amount"
        raise InvalidInput.field(field, "credit either lines or an amount, one of the two")
    if body.tax_rate is not None and body.amount is None:
        raise InvalidInput.field("body.tax_rate", "a tax rate goes with an amount only")
    return CreditRequest(
        reason=body.reason,
        lines=[(line.line_no, line.quantity) for line in body.lines or []],
        amount=body.amount,
        tax_rate=body.tax_rate,
    )


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=201,
    response_model=CreditNoteRead,
    responses=problem_responses(404, 409, 422),
)
async def create_credit_note(
    request: Request,
    invoice_id: InvoiceId,
    body: CreditNoteCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Credit chosen quantities of the invoice's lines, or an amount, with a reason; numbered
    `CN-<year>-…`. It takes off what the invoice owes; beyond that it becomes the customer's
    credit. More than the invoice (or a line) has left to credit: 409, nothing is issued."""
    wanted = _request(body)

    async def create() -> tuple[int, Any]:
        note = await use_cases.issue_credit_note(
            uow,
            invoice_id,
            wanted,
            today=datetime.now(UTC).date(),
            correlation_id=current_correlation_id(),
        )
        return 201, CreditNoteRead.of(note)

    return await created_once(
        request,
        uow,
        scope="credit-notes",
        key=idempotency_key,
        body={"invoice_id": invoice_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )


def _position(position: dict[str, Any]) -> CreditNotePosition:
    created_at, note_id = created_at_and_id(position)
    return CreditNotePosition(created_at=created_at, id=note_id)


def _position_of(note: CreditNote) -> dict[str, Any]:
    return {"created_at": note.created_at, "id": note.id}


async def _filter(
    invoice_id: Annotated[str | None, Query(max_length=36), Storable] = None,
    order_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    customer_id: Annotated[str | None, Query(max_length=200), Storable] = None,
) -> CreditNoteFilter:
    return CreditNoteFilter(invoice_id=invoice_id, order_id=order_id, customer_id=customer_id)


# The filters of the credit notes (their list and their export).
CreditNoteQuery = Annotated[CreditNoteFilter, Depends(_filter)]


@router.get("/credit-notes", response_model=CreditNotePage, responses=problem_responses(422))
async def list_credit_notes(
    uow: UnitOfWorkDep, where: CreditNoteQuery, limit: Limit = 50, cursor: Cursor = None
) -> CreditNotePage:
    """Credit notes, newest first, filtered by invoice, order or customer."""
    found = await uow.credit_notes.search(
        where, limit=limit + 1, after=cursor_position(cursor, _position)
    )
    page, next_cursor = page_of(found, limit, _position_of)
    return CreditNotePage(items=[CreditNoteRead.of(n) for n in page], next_cursor=next_cursor)


@router.get(
    "/credit-notes/{credit_note_id}",
    response_model=CreditNoteRead,
    responses=problem_responses(404),
)
async def get_credit_note(credit_note_id: CreditNoteId, uow: UnitOfWorkDep) -> CreditNoteRead:
    """One credit note with its lines, totals and what it did to its invoice."""
    note = await uow.credit_notes.get(credit_note_id)
    if note is None:
        raise NotFound(f"no credit note {credit_note_id}")
    return CreditNoteRead.of(note)
