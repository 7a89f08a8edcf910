"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.common import (
    CountryCode,
    CurrencyCode,
    ItemKind,
    LongText,
    Money,
    Percent,
    Quantity,
    ShortText,
    Sku,
)
from orders.domain.model import Billing, Fulfilment, OrderStatus

Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Price = Annotated[Money, Field(ge=0)]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(RequestBody):
    name: ShortText | None = None
    line1: Name
    line2: ShortText | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    city: Name
    region: ShortText | None = None
    country: CountryCode


class PaymentTerms(RequestBody):
    days: Annotated[int, Field(ge=0, le=365)] = 30
    text: ShortText | None = None


# --- customers -----------------------------------------------------------------------------------


class CustomerCreate(RequestBody):
    name: Name
    email: Email
    billing_address: Address | None = None
    shipping_address: Address | None = None


class CustomerRead(BaseModel):
    id: str
    name: str
    email: str
    billing_address: Address | None
    shipping_address: Address | None
    created_at: datetime


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    next_cursor: str | None


# --- orders --------------------------------------------------------------------------------------


class OrderLineCreate(RequestBody):
    sku: Sku
    kind: ItemKind
    description: Annotated[LongText, Field(min_length=1)]
    quantity: Quantity
    unit_price: Price
    discount_percent: Percent = Decimal("0")
    tax_rate: Percent


Lines = Annotated[list[OrderLineCreate], Field(min_length=1, max_length=500)]


class OrderCreate(RequestBody):
    customer_id: uuid.UUID
    currency: CurrencyCode
    order_date: date | None = None
    contact: ShortText | None = None
    customer_reference: ShortText | None = None
    description: LongText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = Field(
        default=None, description="Defaults to the customer's billing address"
    )
    shipping_address: Address | None = Field(
        default=None, description="Defaults to the customer's shipping (else billing) address"
    )
    lines: Lines


class OrderUpdate(RequestBody):
    """Any field of a draft; `lines`, when given, replace every line. `null` clears a text."""

    customer_id: uuid.UUID | None = None
    currency: CurrencyCode | None = None
    order_date: date | None = None
    contact: ShortText | None = None
    customer_reference: ShortText | None = None
    description: LongText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: Lines | None = None

    @field_validator("customer_id", "currency", "order_date", "payment_terms", "lines")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class OrderCancel(RequestBody):
    reason: LongText | None = None


class CustomerRef(BaseModel):
    id: str
    name: str
    email: str


class OrderLineRead(BaseModel):
    line_no: int
    sku: str
    kind: ItemKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    shipped_quantity: Decimal


class TaxLineRead(BaseModel):
    rate: Decimal
    base: Decimal
    amount: Decimal


class TotalsRead(BaseModel):
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: list[TaxLineRead]


class DocumentRead(BaseModel):
    document_id: str
    kind: str
    reference: str
    download_path: str


class OrderRead(BaseModel):
    id: str
    number: str = Field(examples=["SO-2026-000042"])
    status: OrderStatus
    fulfilment: Fulfilment
    billing: Billing
    customer: CustomerRef
    contact: str | None
    order_date: date
    currency: str
    customer_reference: str | None
    description: str | None
    opening_text: str | None
    closing_text: str | None
    payment_terms: PaymentTerms
    billing_address: Address | None
    shipping_address: Address | None
    lines: list[OrderLineRead]
    totals: TotalsRead
    documents: list[DocumentRead]
    external_reference: str | None
    created_at: datetime
    updated_at: datetime


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class TimelineEntryRead(BaseModel):
    occurred_at: datetime
    type: str
    source: str
    event_id: str
    summary: str
    actor: str | None
    data: dict[str, Any]


class TimelineRead(BaseModel):
    items: list[TimelineEntryRead]
