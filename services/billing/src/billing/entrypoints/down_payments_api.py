"""Down payments: a down-payment invoice of an order, by percentage or a fixed gross amount,
issued at once and deducted from the order's next invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from billing.domain.down_payments import DownPaymentRefused
from billing.domain.model import UninvoiceableOrder
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep, created_once
from billing.entrypoints.invoices_schemas import InvoiceRead
from billing.service_layer import order_invoicing
from billing.service_layer.down_payment_invoices import issue_down_payment
from contracts.common import Money
from servicekit.api import (
    NO_NUL,
    ErrorTable,
    IdempotencyKey,
    RequestBody,
    problem_responses,
)
from servicekit.http import Conflict, InvalidInput, NotFound
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["down payments"], dependencies=ACCOUNTING_FOR_CHANGES)

OrderId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]


class DownPaymentCreate(RequestBody):
    """A percentage of the order (0 < percent <= 100) or a fixed gross amount, not both."""

    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=7, decimal_places=4)] | None = None
    amount: Annotated[Money, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def one_of_them(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give either percent or amount")
        return self


REFUSALS: ErrorTable = {
    order_invoicing.OrderUnknown: lambda exc: NotFound(f"billing knows no order {exc}"),
    order_invoicing.OrderNotInvoiceable: Conflict,
    DownPaymentRefused: lambda exc: InvalidInput.field(exc.field, str(exc)),
    UninvoiceableOrder: Conflict,
}


@router.post(
    "/orders/{order_id}/down-payments",
    status_code=201,
    response_model=InvoiceRead,
    responses=problem_responses(404, 409, 422),
)
async def create_down_payment(
    request: Request,
    order_id: OrderId,
    body: DownPaymentCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Issue a down-payment invoice (numbered at once): one line per tax rate of the order.
    Over 100 %, above the order's total or above what is left to invoice of it: 422 naming
    the field; a cancelled order or one billed per period: 409."""

    async def create() -> tuple[int, Any]:
        invoice = await issue_down_payment(
            uow,
            order_id,
            percent=body.percent,
            amount=body.amount,
            today=datetime.now(UTC).date(),
            correlation_id=current_correlation_id(),
        )
        return 201, InvoiceRead.of(invoice)

    return await created_once(
        request,
        uow,
        scope="order-down-payments",
        key=idempotency_key,
        body={"order_id": order_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )
