"""What the payments, credit and refunds API takes and answers.

A payment is money received from a customer: allocated to some of their invoices, the rest kept
as their credit. Money is a decimal string in the payment's ISO 4217 `currency`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from billing.domain.model import PaymentMethod
from billing.domain.payment import Allocation, CustomerPayment, PaymentStatus, Refund
from billing.entrypoints.payments_schemas import PositiveMoney
from contracts.common import CurrencyCode
from pricing.currency import validate_currency
from servicekit.api import RequestBody
from servicekit.pagination import Page

Currency = Annotated[CurrencyCode, AfterValidator(validate_currency)]
Reference = Annotated[str, Field(min_length=1, max_length=200)]
CustomerId = Annotated[str, Field(min_length=1, max_length=200)]


class AllocationCreate(RequestBody):
    invoice_id: Annotated[str, Field(min_length=1, max_length=36)]
    amount: PositiveMoney


class AllocationsCreate(RequestBody):
    """Allocate what is left: to these invoices, or oldest due first without `allocations`."""

    allocations: list[AllocationCreate] | None = Field(
        default=None, max_length=500, description="Left out: the open invoices, oldest due first"
    )


class CustomerPaymentCreate(AllocationsCreate):
    """A payment received from a customer. Without `allocations` it settles their open invoices
    in its currency, oldest due first; `[]` keeps it all as credit."""

    customer_id: CustomerId
    currency: Currency
    amount: PositiveMoney
    received_at: AwareDatetime | None = Field(
        default=None, description="When the money arrived; now if left out"
    )
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: Reference | None = None


class CreditApplication(AllocationsCreate):
    currency: Currency


class ReversalCreate(RequestBody):
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    reversed_at: AwareDatetime | None = Field(default=None, description="Now if left out")


class AllocationRead(BaseModel):
    id: str
    invoice_id: str
    invoice_number: str
    order_id: str
    amount: Decimal
    allocated_at: datetime
    reversed_at: datetime | None


class CustomerPaymentRead(BaseModel):
    id: str
    customer_id: str
    currency: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod
    reference: str | None
    status: PaymentStatus
    allocations: list[AllocationRead]
    allocated_total: Decimal
    refunded_total: Decimal
    unallocated: Decimal = Field(description="What the payment leaves as customer credit")
    reversed_at: datetime | None
    reversal_reason: str | None
    created_at: datetime | None

    @classmethod
    def of(cls, payment: CustomerPayment) -> CustomerPaymentRead:
        return cls.model_validate(payment, from_attributes=True)


class CustomerPaymentPage(Page[CustomerPaymentRead]):
    pass


class CreditRead(BaseModel):
    currency: str
    amount: Decimal


class CustomerCreditRead(BaseModel):
    customer_id: str
    credit: list[CreditRead] = Field(description="Per currency; currencies without credit left out")


class CreditAppliedRead(BaseModel):
    customer_id: str
    currency: str
    allocations: list[AllocationRead]
    credit_left: Decimal


class RefundCreate(RequestBody):
    customer_id: CustomerId
    currency: Currency
    amount: PositiveMoney
    paid_at: AwareDatetime | None = Field(default=None, description="Now if left out")
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: Reference | None = None
    reason: Annotated[str, Field(min_length=1, max_length=4000)] | None = None


class RefundPartRead(BaseModel):
    payment_id: str
    amount: Decimal


class RefundRead(BaseModel):
    id: str
    customer_id: str
    currency: str
    amount: Decimal
    paid_at: datetime
    method: PaymentMethod
    reference: str | None
    reason: str | None
    parts: list[RefundPartRead] = Field(description="Whose credit it paid out")
    created_at: datetime | None

    @classmethod
    def of(cls, refund: Refund) -> RefundRead:
        return cls.model_validate(refund, from_attributes=True)


class RefundPage(Page[RefundRead]):
    pass


def allocations_read(allocations: list[Allocation]) -> list[AllocationRead]:
    return [AllocationRead.model_validate(a, from_attributes=True) for a in allocations]
