"""Refunds: customer credit paid back, never more than there is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from billing.domain.payment import Refund
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep, created_once
from billing.entrypoints.customer_payments_api import REFUSALS as PAYMENT_REFUSALS
from billing.entrypoints.customer_payments_api import position_of
from billing.entrypoints.customer_payments_schemas import RefundCreate, RefundPage, RefundRead
from billing.service_layer import customer_payments as use_cases
from billing.service_layer.customer_payments import PaymentPosition
from servicekit.api import NO_NUL, Cursor, IdempotencyKey, Limit, Storable, problem_responses
from servicekit.http import NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id, cursor_position, page_of

router = APIRouter(tags=["refunds"], dependencies=ACCOUNTING_FOR_CHANGES)


@router.post(
    "/refunds", status_code=201, response_model=RefundRead, responses=problem_responses(409, 422)
)
async def create_refund(
    request: Request,
    body: RefundCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Pay back customer credit in a currency (the oldest payments' first). More than the
    customer's credit: 409, nothing changes."""
    refund = Refund(
        id=str(uuid.uuid4()),
        customer_id=body.customer_id,
        currency=body.currency,
        amount=body.amount,
        paid_at=body.paid_at or datetime.now(UTC),
        method=body.method,
        reference=body.reference,
        reason=body.reason,
    )

    async def create() -> tuple[int, Any]:
        await use_cases.refund_credit(uow, refund, correlation_id=current_correlation_id())
        return 201, RefundRead.of(refund)

    return await created_once(
        request,
        uow,
        scope="refunds",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
        refusals=PAYMENT_REFUSALS,
    )


# The filter of the refunds (their list and their export): one customer's.
RefundCustomer = Annotated[str | None, Query(max_length=200), Storable]


@router.get("/refunds", response_model=RefundPage, responses=problem_responses(422))
async def list_refunds(
    uow: UnitOfWorkDep, customer_id: RefundCustomer = None, limit: Limit = 50, cursor: Cursor = None
) -> RefundPage:
    """Refunds, newest first, filtered by customer."""
    after = cursor_position(cursor, lambda p: PaymentPosition(*created_at_and_id(p)))
    found = await uow.payments.search_refunds(customer_id, limit=limit + 1, after=after)
    page, next_cursor = page_of(found, limit, position_of)
    return RefundPage(items=[RefundRead.of(refund) for refund in page], next_cursor=next_cursor)


@router.get("/refunds/{refund_id}", response_model=RefundRead, responses=problem_responses(404))
async def get_refund(
    refund_id: Annotated[str, Path(pattern=NO_NUL, max_length=36)], uow: UnitOfWorkDep
) -> RefundRead:
    refund = await uow.payments.get_refund(refund_id)
    if refund is None:
        raise NotFound(f"no refund {refund_id}")
    return RefundRead.of(refund)
