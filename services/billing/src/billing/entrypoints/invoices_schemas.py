"""What the invoices API answers: an invoice with its lines, totals, payments and balance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from billing.domain.model import InvoiceStatus, PaymentMethod


class ReadModel(BaseModel):
    """A response read straight from the domain objects' attributes (same names, same types)."""

    model_config = ConfigDict(from_attributes=True)


class CustomerRead(ReadModel):
    id: str
    name: str
    email: str | None


class AddressRead(ReadModel):
    name: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str


class PaymentTermsRead(ReadModel):
    days: int
    text: str | None


class InvoiceLineRead(ReadModel):
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


class TaxRead(ReadModel):
    rate: Decimal
    base: Decimal
    amount: Decimal


class TotalsRead(ReadModel):
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: list[TaxRead]


class InvoicePaymentRead(ReadModel):
    """A payment as the invoice lists it."""

    id: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod
    reference: str | None


class InvoiceRead(ReadModel):
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
