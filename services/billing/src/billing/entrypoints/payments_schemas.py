"""What the payments API takes and answers: a payment and the invoice's balance after it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from billing.domain.model import Invoice, InvoiceStatus, Payment, PaymentMethod
from servicekit.api import RequestBody

# In whole minor units of the invoice's currency (checked against the invoice: JPY 0, BHD 3).
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=4)]


class PaymentCreate(RequestBody):
    """A payment received against an invoice."""

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

    @classmethod
    def of(cls, invoice: Invoice, payment: Payment) -> PaymentRead:
        return cls(
            id=payment.id,
            invoice_id=invoice.id,
            amount=payment.amount,
            currency=invoice.currency,
            received_at=payment.received_at,
            method=payment.method,
            reference=payment.reference,
            invoice=InvoiceBalanceRead.model_validate(invoice, from_attributes=True),
        )
