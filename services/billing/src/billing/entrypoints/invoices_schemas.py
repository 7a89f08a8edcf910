"""What the invoices API answers: an invoice with its lines, totals, payments and balance.

The customer, addresses, payment terms, lines and totals are answered as the events carry them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from billing.domain.model import Invoice, InvoiceStatus, PaymentMethod
from contracts.common import Address, CustomerRef, PaymentTerms, Totals
from contracts.events import InvoiceLine
from servicekit.pagination import Page


class InvoicePaymentRead(BaseModel):
    """A payment as the invoice lists it."""

    id: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod
    reference: str | None
    payment_id: str | None = Field(
        default=None, description="The customer payment this is part of (GET /payments/{id})"
    )
    reversed_at: datetime | None = Field(
        default=None, description="Set when the payment was reversed (it no longer counts)"
    )


class InvoiceRead(BaseModel):
    id: str
    number: str
    order_id: str
    order_number: str
    status: InvoiceStatus
    customer: CustomerRef
    billing_address: Address | None
    shipping_address: Address | None
    currency: str
    issue_date: date
    due_date: date
    payment_terms: PaymentTerms
    customer_reference: str | None
    lines: list[InvoiceLine]
    totals: Totals
    paid_total: Decimal
    credited_total: Decimal = Field(
        default=Decimal(0), description="Its credit notes together (GET /credit-notes)"
    )
    balance: Decimal
    payments: list[InvoicePaymentRead]
    created_at: datetime | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceRead:
        """Read from the invoice's attributes of the same names, nested values too."""
        return cls.model_validate(invoice, from_attributes=True)


class InvoicePage(Page[InvoiceRead]):
    pass
