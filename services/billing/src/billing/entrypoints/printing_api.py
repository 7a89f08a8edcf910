"""Ask documents to print: a customer's statement as a PDF, an invoice as Factur-X.

Both answer 202: billing records an event carrying everything the document shows, documents
prints it and serves it (`GET /statements/{id}`, `GET /documents?kind=einvoice&order_id=`)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from billing.adapters.einvoice import CREDIT_NOTE, NotInvoiceable, cii_xml, credit_note_xml
from billing.config import BillingSettings
from billing.entrypoints.common import InvoiceId, UnitOfWorkDep, created_once
from billing.entrypoints.customer_payments_api import REFUSALS as PAYMENT_REFUSALS
from billing.service_layer import printing
from billing.service_layer.customer_owners import CustomerNotVisible, visible_owner
from servicekit.api import NO_NUL, IdempotencyKey, problem_responses
from servicekit.auth import Role, require
from servicekit.http import Conflict, InvalidInput, NotFound
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of
from servicekit.viewing import CallerViewer as ViewerDep

router = APIRouter(tags=["printing"])

CustomerId = Annotated[str, Path(pattern=NO_NUL, max_length=200)]


class StatementRequestCreate(BaseModel):
    """The statement's period: `to` defaults to today (UTC), `from` to the first of its month."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class StatementRequestRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    statement_id: str
    customer_id: str
    from_: date = Field(alias="from")
    to: date
    document_path: str = Field(
        description="Where the documents service serves the PDF once printed (404 until then)"
    )


class EInvoiceRequestRead(BaseModel):
    invoice_id: str
    invoice_number: str
    order_id: str
    document_type: str = Field(description="UNTDID 1001: 380 invoice, 381 credit note")
    documents_path: str = Field(description="Where the documents service lists the file")


@router.post(
    "/customers/{customer_id}/statements",
    status_code=202,
    response_model=StatementRequestRead,
    response_model_by_alias=True,
    dependencies=[Depends(require(Role.ACCOUNTING, Role.SALES))],
    responses=problem_responses(404, 422),
)
async def request_statement(
    request: Request,
    customer_id: CustomerId,
    body: StatementRequestCreate,
    uow: UnitOfWorkDep,
    viewer: ViewerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Have the customer's statement over the period printed as a PDF by documents: open items,
    payments, reversals, refunds, credit and balance per currency. A customer the caller may
    not see (BILLING_VISIBILITY): 404. The statement carries the customer's owner and team, so
    documents shows it to the same people."""
    end = body.to or datetime.now(UTC).date()
    start = body.from_ or end.replace(day=1)
    if start > end:
        raise InvalidInput.field("body.from", "must not be after `to`")

    async def create() -> tuple[int, Any]:
        try:
            known = await visible_owner(uow, customer_id, viewer)
        except CustomerNotVisible:
            raise NotFound(f"no customer {customer_id}") from None
        statement_id = str(uuid.uuid4())
        await printing.request_statement(
            uow,
            customer_id,
            start,
            end,
            statement_id=statement_id,
            owner=printing.Owner(known.owner, known.team) if known else None,
            correlation_id=current_correlation_id(),
        )
        read = StatementRequestRead(
            statement_id=statement_id,
            customer_id=customer_id,
            from_=start,
            to=end,
            document_path=f"/statements/{statement_id}",
        )
        return 202, read

    fingerprint = {"customer_id": customer_id, "from": start.isoformat(), "to": end.isoformat()}
    return await created_once(
        request,
        uow,
        scope="statements",
        key=idempotency_key,
        body=fingerprint,
        create=create,
        refusals=PAYMENT_REFUSALS,
    )


@router.post(
    "/invoices/{invoice_id}/einvoice",
    status_code=202,
    response_model=EInvoiceRequestRead,
    dependencies=[Depends(require(Role.ACCOUNTING))],
    responses=problem_responses(404, 409),
)
async def request_einvoice(
    request: Request,
    invoice_id: InvoiceId,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Have documents embed the invoice's CII XML (EN 16931) in the invoice's PDF: a Factur-X
    PDF/A-3. 409 when the company's data is not configured or the invoice lacks a buyer
    address; 404 for an unknown invoice."""
    settings = runtime_of(request).spec.settings
    assert isinstance(settings, BillingSettings)

    async def create() -> tuple[int, Any]:
        invoice = await uow.invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id}")
        if settings.company is None:
            raise Conflict(
                "the company's legal name, VAT id, address and IBAN are not configured "
                "(BILLING_COMPANY_*)"
            )
        try:
            xml = cii_xml(invoice, settings.company)
        except NotInvoiceable as exc:
            raise Conflict(str(exc)) from None
        prepared = await printing.request_einvoice(
            uow, invoice, xml, correlation_id=current_correlation_id()
        )
        read = EInvoiceRequestRead(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            order_id=invoice.order_id,
            document_type=prepared.document_type,
            documents_path=f"/documents?kind=einvoice&order_id={invoice.order_id}",
        )
        return 202, read

    return await created_once(
        request,
        uow,
        scope="einvoices",
        key=idempotency_key,
        body={"id": invoice_id},
        create=create,
        refusals=PAYMENT_REFUSALS,
    )


@router.post(
    "/credit-notes/{credit_note_id}/einvoice",
    status_code=202,
    response_model=EInvoiceRequestRead,
    dependencies=[Depends(require(Role.ACCOUNTING))],
    responses=problem_responses(404, 409),
)
async def request_credit_note_einvoice(
    request: Request,
    credit_note_id: Annotated[str, Path(pattern=NO_NUL, max_length=36)],
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Have documents embed the credit note's CII XML (EN 16931, type 381, naming the invoice it
    credits) in the credit note's PDF: a Factur-X PDF/A-3. 409 without company data or a buyer
    address; 404 for an unknown credit note."""
    settings = runtime_of(request).spec.settings
    assert isinstance(settings, BillingSettings)

    async def create() -> tuple[int, Any]:
        note = await uow.credit_notes.get(credit_note_id)
        invoice = await uow.invoices.get(note.invoice_id) if note is not None else None
        if note is None or invoice is None:
            raise NotFound(f"no credit note {credit_note_id}")
        if settings.company is None:
            raise Conflict(
                "the company's legal name, VAT id, address and IBAN are not configured "
                "(BILLING_COMPANY_*)"
            )
        try:
            xml = credit_note_xml(note, invoice, settings.company)
        except NotInvoiceable as exc:
            raise Conflict(str(exc)) from None
        prepared = await printing.request_einvoice(
            uow,
            replace(invoice, id=note.id, number=note.number, totals=note.totals),
            xml,
            document_type=CREDIT_NOTE,
            correlation_id=current_correlation_id(),
        )
        read = EInvoiceRequestRead(
            invoice_id=note.id,
            invoice_number=note.number,
            order_id=note.order_id,
            document_type=prepared.document_type,
            documents_path=f"/documents?kind=einvoice&order_id={note.order_id}",
        )
        return 202, read

    return await created_once(
        request,
        uow,
        scope="einvoices",
        key=idempotency_key,
        body={"credit_note_id": credit_note_id},
        create=create,
        refusals=PAYMENT_REFUSALS,
    )
