"""What orders and quotes are made of (and what their reads share), and their timelines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
)

from contracts.common import (
    CurrencyCode,
    ItemKind,
    LongText,
    Percent,
    Quantity,
    ShortText,
    Sku,
)
from orders.domain.content import RecurrenceFrequency
from orders.entrypoints.shared_schemas import (
    Address,
    Name,
    OpportunityId,
    PaymentTerms,
    Price,
    Recurring,
    RequestBody,
    not_null,
)

TemplateId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="A document template of the documents service (opaque here)",
    ),
]


class OpportunityIn(RequestBody):
    """A CRM opportunity; with its customer, later orders of the opportunity get it too."""

    id: OpportunityId
    name: Name
    customer_id: uuid.UUID | None = None


class OpportunityRef(BaseModel):
    id: str
    name: str


class OpportunityRead(BaseModel):
    id: str
    name: str
    customer_id: str | None


class OrderLineCreate(RequestBody):
    sku: Sku
    kind: ItemKind
    description: Annotated[LongText, Field(min_length=1)] | None = Field(
        default=None, description="Without it, the catalogue item's name"
    )
    quantity: Quantity
    unit_price: Price | None = Field(
        default=None,
        description="Without it, the customer's price from the catalogue (list price)",
    )
    discount_percent: Percent = Decimal("0")
    tax_rate: Percent | None = Field(
        default=None,
        description="Without it, the rate of the item's tax category (ORDERS_TAX_RATES)",
    )
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants this line (default: the order's)"
    )
    promised_delivery_date: date | None = Field(
        default=None,
        description="When this line is promised (default: the order's); not before the order date",
    )


Lines = Annotated[list[OrderLineCreate], Field(min_length=1, max_length=500)]


class ContentCreate(RequestBody):
    """What orders and quotes are made of."""

    customer_id: uuid.UUID | None = Field(
        default=None,
        description="Required, unless `opportunity` names (or is known with) a customer",
    )
    currency: CurrencyCode
    contact: ShortText | None = None
    contact_id: uuid.UUID | None = Field(
        default=None, description="Copy this contact of the customer into `contact` instead"
    )
    customer_reference: ShortText | None = None
    description: LongText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    payment_terms: PaymentTerms | None = Field(
        default=None, description="Not agreed when left out (the default 30 days apply)"
    )
    billing_address: Address | None = Field(
        default=None, description="Defaults to the customer's default billing address"
    )
    billing_address_id: uuid.UUID | None = Field(
        default=None, description="Copy this billing address of the customer instead"
    )
    shipping_address: Address | None = Field(
        default=None,
        description="Defaults to the customer's default shipping (else the billing) address",
    )
    shipping_address_id: uuid.UUID | None = Field(
        default=None, description="Copy this shipping address of the customer instead"
    )
    opportunity: OpportunityIn | None = None
    template_id: TemplateId | None = None
    recurring: Recurring | None = None
    lines: Lines


class ContentUpdate(RequestBody):
    """Any field of a draft; `lines`, when given, replace every line. `null` clears a text."""

    customer_id: uuid.UUID | None = None
    currency: CurrencyCode | None = None
    contact: ShortText | None = None
    contact_id: uuid.UUID | None = None
    customer_reference: ShortText | None = None
    description: LongText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    payment_terms: PaymentTerms | None = None
    billing_address: Address | None = None
    billing_address_id: uuid.UUID | None = None
    shipping_address: Address | None = None
    shipping_address_id: uuid.UUID | None = None
    opportunity: OpportunityIn | None = None
    template_id: TemplateId | None = None
    recurring: Recurring | None = None
    lines: Lines | None = None

    _not_null = not_null(
        "customer_id",
        "currency",
        "billing_address_id",
        "shipping_address_id",
        "contact_id",
        "lines",
    )


class CustomerRef(BaseModel):
    id: str
    name: str
    email: str


class RecurringRead(BaseModel):
    frequency: RecurrenceFrequency
    start: date
    end: date | None


class TaxLineRead(BaseModel):
    rate: Decimal
    base: Decimal
    amount: Decimal


class TotalsRead(BaseModel):
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: list[TaxLineRead]


class LineRead(BaseModel):
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
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants this line (null: the order's date)"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="When this line is promised (null: the order's date)"
    )


class TimelineEntryRead(BaseModel):
    occurred_at: datetime
    type: str
    source: str
    event_id: str
    summary: str
    actor: str | None
    data: dict[str, Any]
    sequence: int | None = Field(
        default=None, description="The event's per-order number from its producer, if it has one"
    )
    stale: bool = Field(
        default=False,
        description="Received after a newer event of its producer: recorded, not applied",
    )


class TimelineRead(BaseModel):
    items: list[TimelineEntryRead]
