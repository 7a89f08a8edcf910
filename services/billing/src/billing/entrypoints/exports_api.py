"""Exports for bookkeeping: the ledger of a period, and the invoices, draft invoices, payments,
refunds, credit notes and receivables with the filters of their lists, as CSV, streamed.

The lists are read a page at a time, each page in a short transaction of its own (keyset
pagination); amounts are written exactly in their currency's minor unit, never rounded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from billing.adapters.ledger_repository import SqlLedger
from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.credit_notes import CreditNote
from billing.domain.drafts import InvoiceDraft
from billing.domain.ledger import COLUMNS, InvalidPeriod, check_period
from billing.domain.model import Invoice
from billing.domain.payment import CustomerPayment, Refund
from billing.domain.receivables import Ageing
from billing.entrypoints.credit_notes_api import CreditNoteQuery
from billing.entrypoints.customer_payments_api import PaymentQuery
from billing.entrypoints.invoice_drafts_api import DraftQuery
from billing.entrypoints.invoices_api import InvoiceQuery
from billing.entrypoints.receivables_api import ReceivablesQuery
from billing.entrypoints.refunds_api import RefundCustomer
from billing.service_layer.credit_notes import CreditNotePosition
from billing.service_layer.customer_payments import PaymentPosition
from billing.service_layer.drafts import DraftPosition
from billing.service_layer.ledger import LedgerSource
from billing.service_layer.unit_of_work import Position
from pricing.amounts import in_currency
from servicekit.api import problem_responses
from servicekit.csvfiles import CSV_ANSWER, EXPORT_PAGE, csv_response, paged, rows_of
from servicekit.http import InvalidInput
from servicekit.runtime import runtime_of

router = APIRouter(tags=["exports"])

BATCH = 500  # rows per chunk written to the client


@router.get(
    "/exports/ledger.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(422)},
)
async def export_ledger(
    request: Request,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> StreamingResponse:
    """Every invoice line, payment, payment reversal and refund dated in the period (at most a
    year), one row each, columns as documented in the README; streamed as it is read."""
    try:
        check_period(start, end)
    except InvalidPeriod as exc:
        raise InvalidInput.field(exc.field, str(exc)) from None
    sessionmaker = runtime_of(request).sessionmaker

    async def body() -> AsyncIterator[str]:
        async with sessionmaker() as session, session.begin():
            yield _chunk([list(COLUMNS)])
            ledger: LedgerSource = SqlLedger(session)
            batch: list[list[str]] = []
            async for row in ledger.rows(start, end):
                batch.append(row.values())
                if len(batch) == BATCH:
                    yield _chunk(batch)
                    batch = []
            if batch:
                yield _chunk(batch)

    filename = f"ledger-{start.isoformat()}-{end.isoformat()}.csv"
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _chunk(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


# --- the lists -------------------------------------------------------------------------------

T = TypeVar("T")
P = TypeVar("P")


def _reader(
    request: Request,
    search: Callable[[SqlUnitOfWork, int, P | None], Awaitable[list[T]]],
) -> Callable[[P | None], Awaitable[tuple[list[T], bool]]]:
    """`search(uow, limit, after)` read a page at a time, each in a transaction of its own."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: P | None) -> tuple[list[T], bool]:
        async with sessionmaker() as session, session.begin():
            found = await search(SqlUnitOfWork(session), EXPORT_PAGE + 1, after)
        return found[:EXPORT_PAGE], len(found) > EXPORT_PAGE

    return read


INVOICE_COLUMNS = (
    "id",
    "number",
    "status",
    "order_id",
    "order_number",
    "customer_id",
    "customer_name",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "paid_total",
    "credited_total",
    "balance",
    "customer_reference",
    "created_at",
)


def _invoice_row(invoice: Invoice) -> list[Any]:
    currency = invoice.currency
    totals = invoice.totals
    return [
        invoice.id,
        invoice.number,
        invoice.status.value,
        invoice.order_id,
        invoice.order_number,
        invoice.customer.id,
        invoice.customer.name,
        invoice.issue_date.isoformat(),
        invoice.due_date.isoformat(),
        currency,
        *(in_currency(amount, currency) for amount in (totals.net, totals.tax, totals.gross)),
        in_currency(invoice.paid_total, currency),
        in_currency(invoice.credited_total, currency),
        in_currency(invoice.balance, currency),
        invoice.customer_reference,
        invoice.created_at,
    ]


@router.get("/exports/invoices.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_invoices(request: Request, where: InvoiceQuery) -> StreamingResponse:
    """Invoices, newest first, with the filters of `GET /invoices`, one row each."""

    async def search(uow: SqlUnitOfWork, limit: int, after: Position | None) -> list[Invoice]:
        return await uow.invoices.search(where, limit=limit, after=after)

    found = paged(_reader(request, search), lambda i: Position(_created(i.created_at), i.id))
    return csv_response("invoices.csv", INVOICE_COLUMNS, rows_of(found, _invoice_row))


PAYMENT_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "currency",
    "amount",
    "allocated_total",
    "refunded_total",
    "unallocated",
    "received_at",
    "method",
    "reference",
    "reversed_at",
    "reversal_reason",
    "created_at",
)


def _payment_row(payment: CustomerPayment) -> list[Any]:
    currency = payment.currency
    return [
        payment.id,
        payment.customer_id,
        payment.status.value,
        currency,
        in_currency(payment.amount, currency),
        in_currency(payment.allocated_total, currency),
        in_currency(payment.refunded_total, currency),
        in_currency(payment.unallocated, currency),
        payment.received_at.isoformat(),
        payment.method.value,
        payment.reference,
        payment.reversed_at,
        payment.reversal_reason,
        payment.created_at,
    ]


@router.get("/exports/payments.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_payments(request: Request, where: PaymentQuery) -> StreamingResponse:
    """Customer payments, newest first, with the filters of `GET /payments`, one row each."""

    async def search(
        uow: SqlUnitOfWork, limit: int, after: PaymentPosition | None
    ) -> list[CustomerPayment]:
        return await uow.payments.search(where, limit=limit, after=after)

    found = paged(_reader(request, search), lambda p: PaymentPosition(_created(p.created_at), p.id))
    return csv_response("payments.csv", PAYMENT_COLUMNS, rows_of(found, _payment_row))


CREDIT_NOTE_COLUMNS = (
    "id",
    "number",
    "invoice_id",
    "invoice_number",
    "order_id",
    "order_number",
    "customer_id",
    "customer_name",
    "issue_date",
    "reason",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "applied_amount",
    "customer_credit",
    "return_number",
    "created_at",
)


def _credit_note_row(note: CreditNote) -> list[Any]:
    currency = note.currency
    totals = note.totals
    return [
        note.id,
        note.number,
        note.invoice_id,
        note.invoice_number,
        note.order_id,
        note.order_number,
        note.customer.id,
        note.customer.name,
        note.issue_date.isoformat(),
        note.reason,
        currency,
        *(in_currency(amount, currency) for amount in (totals.net, totals.tax, totals.gross)),
        in_currency(note.applied_amount, currency),
        in_currency(note.customer_credit, currency),
        note.returned.number if note.returned else None,
        note.created_at,
    ]


@router.get("/exports/credit-notes.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_credit_notes(request: Request, where: CreditNoteQuery) -> StreamingResponse:
    """Credit notes, newest first, with the filters of `GET /credit-notes`, one row each."""

    async def search(
        uow: SqlUnitOfWork, limit: int, after: CreditNotePosition | None
    ) -> list[CreditNote]:
        return await uow.credit_notes.search(where, limit=limit, after=after)

    found = paged(
        _reader(request, search), lambda n: CreditNotePosition(_created(n.created_at), n.id)
    )
    rows = rows_of(found, _credit_note_row)
    return csv_response("credit-notes.csv", CREDIT_NOTE_COLUMNS, rows)


REFUND_COLUMNS = (
    "id",
    "customer_id",
    "currency",
    "amount",
    "paid_at",
    "method",
    "reference",
    "reason",
    "created_at",
)


def _refund_row(refund: Refund) -> list[Any]:
    return [
        refund.id,
        refund.customer_id,
        refund.currency,
        in_currency(refund.amount, refund.currency),
        refund.paid_at,
        refund.method.value,
        refund.reference,
        refund.reason,
        refund.created_at,
    ]


@router.get("/exports/refunds.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_refunds(request: Request, customer_id: RefundCustomer = None) -> StreamingResponse:
    """Refunds of customer credit, newest first, with the filter of `GET /refunds`."""

    async def search(uow: SqlUnitOfWork, limit: int, after: PaymentPosition | None) -> list[Refund]:
        return await uow.payments.search_refunds(customer_id, limit=limit, after=after)

    found = paged(_reader(request, search), lambda r: PaymentPosition(_created(r.created_at), r.id))
    return csv_response("refunds.csv", REFUND_COLUMNS, rows_of(found, _refund_row))


DRAFT_COLUMNS = (
    "id",
    "status",
    "order_id",
    "order_number",
    "customer_id",
    "customer_name",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "lines",
    "reason",
    "created_at",
    "updated_at",
)


def _draft_row(draft: InvoiceDraft) -> list[Any]:
    currency = draft.currency
    totals = draft.totals
    return [
        draft.id,
        draft.status.value,
        draft.order_id,
        draft.order_number,
        draft.customer.id,
        draft.customer.name,
        currency,
        *(in_currency(amount, currency) for amount in (totals.net, totals.tax, totals.gross)),
        len(draft.lines),
        draft.reason,
        draft.created_at,
        draft.updated_at,
    ]


@router.get("/exports/invoice-drafts.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_invoice_drafts(request: Request, where: DraftQuery) -> StreamingResponse:
    """Draft invoices (and the issued or discarded ones), newest first, with the filters of
    `GET /invoice-drafts`, one row each."""

    async def search(
        uow: SqlUnitOfWork, limit: int, after: DraftPosition | None
    ) -> list[InvoiceDraft]:
        return await uow.invoice_drafts.search(where, limit=limit, after=after)

    found = paged(_reader(request, search), lambda d: DraftPosition(_created(d.created_at), d.id))
    return csv_response("invoice-drafts.csv", DRAFT_COLUMNS, rows_of(found, _draft_row))


RECEIVABLE_COLUMNS = (
    "as_of",
    "customer_id",
    "customer_name",
    "currency",
    "current",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "days_over_90",
    "total",
    "invoices",
)


@router.get("/exports/receivables.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
async def export_receivables(request: Request, query: ReceivablesQuery) -> StreamingResponse:
    """What each customer owed on `as_of`, per currency and bucket of days past due, by customer
    id, with the filters of `GET /receivables` and only the customers the caller may see; one row
    per customer and currency (the per-currency totals are not rows)."""
    day, where = query

    async def search(uow: SqlUnitOfWork, limit: int, after: tuple[str, str] | None) -> list[Ageing]:
        return await uow.receivables.ageing(day, where, limit=limit, after=after)

    def row(ageing: Ageing) -> list[Any]:
        currency = ageing.currency
        buckets = (ageing.current, ageing.days_1_30, ageing.days_31_60, ageing.days_61_90)
        return [
            day.isoformat(),
            ageing.customer_id,
            ageing.customer_name,
            currency,
            *(in_currency(amount, currency) for amount in (*buckets, ageing.days_over_90)),
            in_currency(ageing.total, currency),
            ageing.invoices,
        ]

    found = paged(_reader(request, search), lambda a: (a.customer_id or "", a.currency))
    return csv_response(
        f"receivables-{day.isoformat()}.csv", RECEIVABLE_COLUMNS, rows_of(found, row)
    )


def _created(created_at: datetime | None) -> datetime:
    assert created_at is not None  # a stored record has its creation time
    return created_at
