"""Payments received against an invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from billing.domain.model import InvalidPaymentAmount, PaymentRefused
from billing.entrypoints.common import (
    ACCOUNTING_FOR_CHANGES,
    InvoiceId,
    UnitOfWorkDep,
    created_once,
)
from billing.entrypoints.payments_schemas import PaymentCreate, PaymentRead
from billing.service_layer import payments
from servicekit.api import ErrorTable, IdempotencyKey, problem_responses
from servicekit.http import Conflict, InvalidInput, NotFound
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["payments"], dependencies=ACCOUNTING_FOR_CHANGES)

REFUSALS: ErrorTable = {
    payments.InvoiceNotFound: lambda exc: NotFound(f"no invoice {exc}"),
    InvalidPaymentAmount: lambda exc: InvalidInput.field("body.amount", str(exc)),
    PaymentRefused: Conflict,
}


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=PaymentRead,
    responses=problem_responses(404, 409, 422),
)
async def create_payment(
    request: Request,
    invoice_id: InvoiceId,
    body: PaymentCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a payment; partial payments keep a balance. Above the balance, or on a paid
    invoice: 409 and nothing changes."""
    new = payments.NewPayment(
        amount=body.amount,
        received_at=body.received_at or datetime.now(UTC),
        method=body.method,
        reference=body.reference,
    )

    async def lock_invoice() -> None:
        # A retry racing its original waits here, then finds the stored response instead of
        # paying twice.
        if not await uow.invoices.lock(invoice_id):
            raise NotFound(f"no invoice {invoice_id}")

    async def create() -> tuple[int, Any]:
        invoice, payment = await payments.record_payment(
            uow, invoice_id, new, correlation_id=current_correlation_id()
        )
        return 201, PaymentRead.of(invoice, payment)

    return await created_once(
        request,
        uow,
        scope="invoice-payments",
        key=idempotency_key,
        body={"invoice_id": invoice_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
        first=lock_invoice,
    )
