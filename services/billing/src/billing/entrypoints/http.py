"""The billing HTTP API: read invoices, record payments against them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.model import (
    Address,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentRefused,
)
from billing.service_layer import services
from billing.service_layer.unit_of_work import InvoiceFilter, Position
from servicekit.auth import Role, require_for_changes
from servicekit.http import (
    Conflict,
    InvalidInput,
    NotFound,
    decode_cursor,
    encode_cursor,
    idempotent,
)
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


# --- schemas ------------------------------------------------------------------------------------


class CustomerRead(BaseModel):
    id: str
    name: str
    email: str | None


class AddressRead(BaseModel):
    name: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str


class PaymentTermsRead(BaseModel):
    days: int
    text: str | None


class InvoiceLineRead(BaseModel):
    line_no: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal


class TaxRead(BaseModel):
    rate: Decimal
    base: Decimal
    amount: Decimal


class TotalsRead(BaseModel):
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: list[TaxRead]


class InvoicePaymentRead(BaseModel):
    id: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod
    reference: str | None


class InvoiceRead(BaseModel):
    id: str
    number: str
    order_id: str
    order_number: str
    status: InvoiceStatus
    customer: CustomerRead
    billing_address: AddressRead | None
    shipping_address: AddressRead | None
    currency: str
    issue_date: date
    due_date: date
    payment_terms: PaymentTermsRead
    customer_reference: str | None
    lines: list[InvoiceLineRead]
    totals: TotalsRead
    paid_total: Decimal
    balance: Decimal
    payments: list[InvoicePaymentRead]
    created_at: datetime | None


class InvoicePage(BaseModel):
    items: list[InvoiceRead]
    next_cursor: str | None


class PaymentCreate(BaseModel):
    """A payment received against an invoice."""

    model_config = ConfigDict(extra="forbid")

    amount: PositiveMoney
    received_at: AwareDatetime | None = Field(
        default=None, description="When the money arrived; now if left out"
    )
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class InvoiceBalanceRead(BaseModel):
    status: InvoiceStatus
    paid_total: Decimal
    balance: Decimal


class PaymentRead(BaseModel):
    id: str
    invoice_id: str
    amount: Decimal
    currency: str
    received_at: datetime
    method: PaymentMethod
    reference: str | None
    invoice: InvoiceBalanceRead


def _address(address: Address | None) -> AddressRead | None:
    if address is None:
        return None
    return AddressRead(
        name=address.name,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region,
        country=address.country,
    )


def _payment(payment: Payment) -> InvoicePaymentRead:
    return InvoicePaymentRead(
        id=payment.id,
        amount=payment.amount,
        received_at=payment.received_at,
        method=payment.method,
        reference=payment.reference,
    )


def invoice_read(invoice: Invoice) -> InvoiceRead:
    return InvoiceRead(
        id=invoice.id,
        number=invoice.number,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        status=invoice.status,
        customer=CustomerRead(
            id=invoice.customer.id, name=invoice.customer.name, email=invoice.customer.email
        ),
        billing_address=_address(invoice.billing_address),
        shipping_address=_address(invoice.shipping_address),
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        payment_terms=PaymentTermsRead(
            days=invoice.payment_terms.days, text=invoice.payment_terms.text
        ),
        customer_reference=invoice.customer_reference,
        lines=[
            InvoiceLineRead.model_validate(line, from_attributes=True) for line in invoice.lines
        ],
        totals=TotalsRead(
            net=invoice.totals.net,
            tax=invoice.totals.tax,
            gross=invoice.totals.gross,
            taxes=[
                TaxRead.model_validate(tax, from_attributes=True) for tax in invoice.totals.taxes
            ],
        ),
        paid_total=invoice.paid_total,
        balance=invoice.balance,
        payments=[_payment(payment) for payment in invoice.payments],
        created_at=invoice.created_at,
    )


def payment_read(invoice: Invoice, payment: Payment) -> PaymentRead:
    return PaymentRead(
        id=payment.id,
        invoice_id=invoice.id,
        amount=payment.amount,
        currency=invoice.currency,
        received_at=payment.received_at,
        method=payment.method,
        reference=payment.reference,
        invoice=InvoiceBalanceRead(
            status=invoice.status, paid_total=invoice.paid_total, balance=invoice.balance
        ),
    )


# --- dependencies -------------------------------------------------------------------------------


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


def _position(cursor: str | None) -> Position | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return Position(
            created_at=datetime.fromisoformat(position["created_at"]), id=str(position["id"])
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None


# --- routes -------------------------------------------------------------------------------------

# Reads need any role (checked by servicekit's runtime); recording payments needs accounting.
router = APIRouter(tags=["invoices"], dependencies=[Depends(require_for_changes(Role.ACCOUNTING))])


@router.get("/invoices", response_model=InvoicePage, responses={422: PROBLEM})
async def list_invoices(
    session: SessionDep,
    order_id: Annotated[str | None, Query(max_length=200)] = None,
    status: InvoiceStatus | None = None,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> InvoicePage:
    """Invoices, newest first, filtered by order, status or customer."""
    after = _position(cursor)
    found = await SqlUnitOfWork(session).invoices.search(
        InvoiceFilter(order_id=order_id, status=status, customer_id=customer_id),
        limit=limit + 1,
        after=after,
    )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit and page[-1].created_at is not None:
        next_cursor = encode_cursor(
            {"created_at": page[-1].created_at.isoformat(), "id": page[-1].id}
        )
    return InvoicePage(items=[invoice_read(i) for i in page], next_cursor=next_cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead, responses={404: PROBLEM})
async def get_invoice(invoice_id: str, session: SessionDep) -> InvoiceRead:
    """One invoice with its lines, totals, payments and balance."""
    invoice = await SqlUnitOfWork(session).invoices.get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice_read(invoice)


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=PaymentRead,
    responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def create_payment(
    request: Request,
    invoice_id: str,
    body: PaymentCreate,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Record a payment; partial payments keep a balance. Above the balance, or on a paid
    invoice: 409 and nothing changes."""
    uow = SqlUnitOfWork(session)
    new = services.NewPayment(
        amount=body.amount,
        received_at=body.received_at or datetime.now(UTC),
        method=body.method,
        reference=body.reference,
    )

    async def create() -> tuple[int, Any]:
        try:
            invoice, payment = await services.record_payment(
                uow, invoice_id, new, correlation_id=current_correlation_id()
            )
        except services.InvoiceNotFound:
            raise NotFound(f"no invoice {invoice_id}") from None
        except PaymentRefused as exc:
            raise Conflict(str(exc)) from exc
        return 201, payment_read(invoice, payment).model_dump(mode="json")

    async with session.begin():
        # Lock the invoice first: a retry racing its original waits here, then finds the
        # stored response instead of paying twice.
        if not await uow.invoices.lock(invoice_id):
            raise NotFound(f"no invoice {invoice_id}")
        status, response = await idempotent(
            session,
            runtime_of(request).metadata,
            scope="invoice-payments",
            key=idempotency_key,
            body={"invoice_id": invoice_id, **body.model_dump(mode="json")},
            create=create,
        )
    return JSONResponse(response, status_code=status)
