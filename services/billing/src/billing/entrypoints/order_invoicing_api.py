"""An order's invoicing: its policy (its own, or the service's default) and how far it is
invoiced (amounts and quantities per line)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from billing.config import BillingSettings
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import UninvoiceableOrder
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep
from billing.entrypoints.invoices_schemas import InvoiceRead
from billing.entrypoints.order_invoicing_schemas import (
    InvoicingPolicyUpdate,
    ManualInvoiceCreate,
    OrderInvoicingRead,
)
from billing.service_layer import order_invoicing
from servicekit.api import NO_NUL, ErrorTable, IdempotencyKey, problem_responses, problems_from
from servicekit.http import Conflict, InvalidInput, NotFound, idempotent
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of

router = APIRouter(tags=["order invoicing"], dependencies=ACCOUNTING_FOR_CHANGES)

OrderId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]


def _default_policy(request: Request) -> InvoicingPolicy:
    settings = runtime_of(request).settings
    assert isinstance(settings, BillingSettings)
    return settings.invoicing_policy


async def _read(request: Request, uow: UnitOfWorkDep, order_id: str) -> OrderInvoicingRead:
    try:
        found = await order_invoicing.progress(
            uow, order_id, default_policy=_default_policy(request)
        )
    except order_invoicing.OrderUnknown:
        raise NotFound(f"billing knows no order {order_id}") from None
    return OrderInvoicingRead.model_validate(found, from_attributes=True)


@router.get(
    "/orders/{order_id}/invoicing",
    response_model=OrderInvoicingRead,
    responses=problem_responses(404),
)
async def get_order_invoicing(
    request: Request, order_id: OrderId, uow: UnitOfWorkDep
) -> OrderInvoicingRead:
    """The order's policy, invoiced and uninvoiced amounts, and quantities per line."""
    return await _read(request, uow, order_id)


@router.put(
    "/orders/{order_id}/invoicing-policy",
    response_model=OrderInvoicingRead,
    responses=problem_responses(422),
)
async def put_invoicing_policy(
    request: Request, order_id: OrderId, body: InvoicingPolicyUpdate, uow: UnitOfWorkDep
) -> OrderInvoicingRead:
    """Give the order a policy of its own (on_completion, on_delivery or manual); it applies
    to what happens to the order next."""
    async with uow.session.begin():
        await order_invoicing.set_policy(uow, order_id, body.policy)
    return await _read(request, uow, order_id)


REFUSALS: ErrorTable = {
    order_invoicing.OrderUnknown: lambda exc: NotFound(f"billing knows no order {exc}"),
    order_invoicing.UnknownLine: lambda exc: InvalidInput.field(
        f"body.lines.{exc.index}.line_no", str(exc)
    ),
    order_invoicing.BeyondInvoiceable: Conflict,
    UninvoiceableOrder: Conflict,
}


@router.post(
    "/orders/{order_id}/invoices",
    status_code=201,
    response_model=InvoiceRead,
    responses=problem_responses(404, 409, 422),
)
async def create_manual_invoice(
    request: Request,
    order_id: OrderId,
    body: ManualInvoiceCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Invoice chosen quantities of the order's lines now (numbered on issue). Never beyond what
    its policy allows (on delivery: what shipped and is not invoiced; else what is not
    invoiced): 409 and nothing is issued."""

    async def create() -> tuple[int, Any]:
        with problems_from(REFUSALS):
            invoice = await order_invoicing.invoice_manually(
                uow,
                order_id,
                [(line.line_no, line.quantity) for line in body.lines],
                today=_today(),
                default_policy=_default_policy(request),
                correlation_id=current_correlation_id(),
            )
        return 201, InvoiceRead.of(invoice).model_dump(mode="json")

    async with uow.session.begin():
        status, response = await idempotent(
            uow.session,
            runtime_of(request).metadata,
            scope="order-invoices",
            key=idempotency_key,
            body={"order_id": order_id, **body.model_dump(mode="json")},
            create=create,
        )
    return JSONResponse(response, status_code=status)


def _today() -> date:
    return datetime.now(UTC).date()
