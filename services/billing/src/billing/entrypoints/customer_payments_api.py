"""Payments received from customers: allocated across their invoices, the rest kept as credit;
reversals; the customer's credit and its application to invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from billing.domain.model import PaymentRefused
from billing.domain.payment import (
    AllocationRefused,
    CustomerPayment,
    InvalidAllocation,
    PaymentStatus,
    Refund,
)
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep, created_once
from billing.entrypoints.customer_payments_schemas import (
    AllocationsCreate,
    CreditApplication,
    CreditAppliedRead,
    CreditRead,
    CustomerCreditRead,
    CustomerPaymentCreate,
    CustomerPaymentPage,
    CustomerPaymentRead,
    ReversalCreate,
    allocations_read,
)
from billing.service_layer import customer_payments as use_cases
from billing.service_layer.customer_payments import (
    PaymentFilter,
    PaymentPosition,
    Requested,
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


def position_of(item: CustomerPayment | Refund) -> dict[str, Any]:
    return {"created_at": item.created_at, "id": item.id}


router = APIRouter(tags=["payments"], dependencies=ACCOUNTING_FOR_CHANGES)

PaymentId = Annotated[str, Path(pattern=NO_NUL, max_length=36)]
CustomerIdPath = Annotated[str, Path(pattern=NO_NUL, max_length=200)]

REFUSALS: ErrorTable = {
    use_cases.PaymentNotFound: lambda exc: NotFound(f"no payment {exc}"),
    InvalidAllocation: lambda exc: InvalidInput.field(f"body.{exc.field}", str(exc)),
    AllocationRefused: Conflict,
    PaymentRefused: Conflict,
}


def _requested(body: AllocationsCreate) -> list[Requested] | None:
    if body.allocations is None:
        return None
    return [Requested(invoice_id=a.invoice_id, amount=a.amount) for a in body.allocations]


@router.post(
    "/payments",
    status_code=201,
    response_model=CustomerPaymentRead,
    responses=problem_responses(409, 422),
)
async def create_customer_payment(
    request: Request,
    body: CustomerPaymentCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a payment of a customer and allocate it: to the invoices given, or to their open
    invoices in its currency, oldest due first. What is left is the customer's credit.

    Another customer's invoice, another currency: 422. More than the payment, or more than an
    invoice's open amount: 409. Nothing is recorded then."""
    new = use_cases.NewCustomerPayment(
        customer_id=body.customer_id,
        currency=body.currency,
        amount=body.amount,
        received_at=body.received_at or datetime.now(UTC),
        method=body.method,
        reference=body.reference,
    )

    async def create() -> tuple[int, Any]:
        payment = await use_cases.receive_payment(
            uow, new, _requested(body), correlation_id=current_correlation_id()
        )
        return 201, CustomerPaymentRead.of(payment)

    return await created_once(
        request,
        uow,
        scope="payments",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
        refusals=REFUSALS,
    )


async def _filter(
    customer_id: Annotated[str | None, Query(max_length=200), Storable] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    status: PaymentStatus | None = None,
) -> PaymentFilter:
    return PaymentFilter(
        customer_id=customer_id,
        currency=currency,
        status=status.value if status is not None else None,
    )


# The filters of the payments (their list and their export).
PaymentQuery = Annotated[PaymentFilter, Depends(_filter)]


@router.get("/payments", response_model=CustomerPaymentPage, responses=problem_responses(422))
async def list_customer_payments(
    uow: UnitOfWorkDep, where: PaymentQuery, limit: Limit = 50, cursor: Cursor = None
) -> CustomerPaymentPage:
    """Payments, newest first, filtered by customer, currency or status."""
    after = cursor_position(cursor, lambda p: PaymentPosition(*created_at_and_id(p)))
    found = await uow.payments.search(where, limit=limit + 1, after=after)
    page, next_cursor = page_of(found, limit, position_of)
    return CustomerPaymentPage(
        items=[CustomerPaymentRead.of(payment) for payment in page], next_cursor=next_cursor
    )


@router.get(
    "/payments/{payment_id}", response_model=CustomerPaymentRead, responses=problem_responses(404)
)
async def get_customer_payment(payment_id: PaymentId, uow: UnitOfWorkDep) -> CustomerPaymentRead:
    """One payment with its allocations and what it leaves as credit."""
    payment = await uow.payments.get(payment_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}")
    return CustomerPaymentRead.of(payment)


@router.post(
    "/payments/{payment_id}/allocations",
    response_model=CustomerPaymentRead,
    responses=problem_responses(404, 409, 422),
)
async def allocate_customer_payment(
    request: Request,
    payment_id: PaymentId,
    body: AllocationsCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Allocate what the payment has left: to the invoices given, or oldest due first."""

    async def create() -> tuple[int, Any]:
        payment = await use_cases.allocate_payment(
            uow,
            payment_id,
            _requested(body),
            at=datetime.now(UTC),
            correlation_id=current_correlation_id(),
        )
        return 200, CustomerPaymentRead.of(payment)

    return await created_once(
        request,
        uow,
        scope="payment-allocations",
        key=idempotency_key,
        body={"payment_id": payment_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )


@router.post(
    "/payments/{payment_id}/reversal",
    response_model=CustomerPaymentRead,
    responses=problem_responses(404, 409, 422),
)
async def reverse_customer_payment(
    request: Request,
    payment_id: PaymentId,
    body: ReversalCreate,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Reverse a payment (bounced, returned, with a reason): every invoice it settled owes that
    part again, and its credit is gone. A second reversal, or one of a payment whose credit was
    refunded: 409, nothing changes."""

    async def create() -> tuple[int, Any]:
        payment = await use_cases.reverse_payment(
            uow,
            payment_id,
            body.reason,
            at=body.reversed_at or datetime.now(UTC),
            correlation_id=current_correlation_id(),
        )
        return 200, CustomerPaymentRead.of(payment)

    return await created_once(
        request,
        uow,
        scope="payment-reversals",
        key=idempotency_key,
        body={"payment_id": payment_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )


@router.get(
    "/customers/{customer_id}/credit",
    response_model=CustomerCreditRead,
    responses=problem_responses(422),
)
async def get_customer_credit(
    customer_id: CustomerIdPath, uow: UnitOfWorkDep
) -> CustomerCreditRead:
    """The customer's credit per currency: what their payments left unallocated and
    unrefunded."""
    credit = await uow.payments.credit(customer_id)
    return CustomerCreditRead(
        customer_id=customer_id,
        credit=[CreditRead(currency=c, amount=amount) for c, amount in credit.items()],
    )


@router.post(
    "/customers/{customer_id}/credit/allocations",
    response_model=CreditAppliedRead,
    responses=problem_responses(409, 422),
)
async def apply_customer_credit(
    request: Request,
    customer_id: CustomerIdPath,
    body: CreditApplication,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Allocate the customer's credit in a currency (oldest payment's first): to the invoices
    given, or to their open invoices oldest due first."""

    async def create() -> tuple[int, Any]:
        made, left = await use_cases.apply_credit(
            uow,
            customer_id,
            body.currency,
            _requested(body),
            at=datetime.now(UTC),
            correlation_id=current_correlation_id(),
        )
        read = CreditAppliedRead(
            customer_id=customer_id,
            currency=body.currency,
            allocations=allocations_read(made),
            credit_left=left,
        )
        return 200, read

    return await created_once(
        request,
        uow,
        scope="credit-allocations",
        key=idempotency_key,
        body={"customer_id": customer_id, **body.model_dump(mode="json")},
        create=create,
        refusals=REFUSALS,
    )
