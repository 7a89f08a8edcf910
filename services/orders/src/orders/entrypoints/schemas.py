"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

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
from orders.domain.addresses import AddressKind
from orders.domain.model import STAGE_FIELDS, Billing, Fulfilment, OrderStatus, RecurrenceFrequency
from orders.domain.quote import QuoteStatus
from orders.service_layer.ports import Direction, OrderSort
from servicekit.auth import Role


def storable(value: Any) -> Any:
    """Refuse text PostgreSQL cannot store: NUL characters and unpaired surrogates."""
    if isinstance(value, str):
        if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise ValueError("must not contain NUL characters or unpaired surrogates")
    elif isinstance(value, list | tuple):
        for item in value:
            storable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    return value


Storable = AfterValidator(storable)
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Price = Annotated[Money, Field(ge=0)]
OpportunityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\s/?#]+$",
        description="The opportunity's id in the CRM",
        examples=["OPP-1042"],
    ),
]
TemplateId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="A document template of the documents service (opaque here)",
    ),
]
StageKey = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
StageField = Literal[
    "contract_number",
    "payment_terms",
    "customer_reference",
    "shipping_address",
    "billing_address",
    "contact",
]
assert set(StageField.__args__) == set(STAGE_FIELDS)  # type: ignore[attr-defined]


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


def not_null(*fields: str) -> Any:
    """A validator for PATCH fields that may be omitted but not set to null."""
    return field_validator(*fields)(_reject_null)


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


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


class Recurring(RequestBody):
    """Bill again every period from `start` until `end` (open-ended without it)."""

    frequency: RecurrenceFrequency
    start: date
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after the start")
        return value


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


class CustomerAddressCreate(Address):
    kind: AddressKind
    label: ShortText | None = None
    is_default: bool = Field(
        default=False, description="The first address of a kind is its default anyway"
    )


class CustomerAddressUpdate(RequestBody):
    """Any field; `is_default: true` makes it the default of its kind."""

    kind: AddressKind | None = None
    label: ShortText | None = None
    is_default: bool | None = None
    name: ShortText | None = None
    line1: Name | None = None
    line2: ShortText | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    city: Name | None = None
    region: ShortText | None = None
    country: CountryCode | None = None

    _not_null = not_null("kind", "is_default", "line1", "postal_code", "city", "country")


class CustomerAddressRead(BaseModel):
    id: str
    customer_id: str
    kind: AddressKind
    label: str | None
    is_default: bool
    name: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str
    created_at: datetime
    updated_at: datetime


class CustomerAddressPage(BaseModel):
    items: list[CustomerAddressRead]
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


class ContentCreate(RequestBody):
    """What orders and quotes are made of."""

    customer_id: uuid.UUID | None = Field(
        default=None,
        description="Required, unless `opportunity` names (or is known with) a customer",
    )
    currency: CurrencyCode
    contact: ShortText | None = None
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


class OrderCreate(ContentCreate):
    order_date: date | None = None
    contract_number: ShortText | None = None


class ContentUpdate(RequestBody):
    """Any field of a draft; `lines`, when given, replace every line. `null` clears a text."""

    customer_id: uuid.UUID | None = None
    currency: CurrencyCode | None = None
    contact: ShortText | None = None
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
        "customer_id", "currency", "billing_address_id", "shipping_address_id", "lines"
    )


class OrderUpdate(ContentUpdate):
    order_date: date | None = None
    contract_number: ShortText | None = None

    _date_not_null = not_null("order_date")


class OrderDetailsUpdate(RequestBody):
    """The fields a stage may require: editable while the order is a draft or open."""

    contract_number: ShortText | None = None
    payment_terms: PaymentTerms | None = None
    customer_reference: ShortText | None = None
    contact: ShortText | None = None
    billing_address: Address | None = None
    billing_address_id: uuid.UUID | None = None
    shipping_address: Address | None = None
    shipping_address_id: uuid.UUID | None = None

    _not_null = not_null("billing_address_id", "shipping_address_id")


class OrderCancel(RequestBody):
    reason: LongText | None = None


class CustomerRef(BaseModel):
    id: str
    name: str
    email: str


class RecurringRead(BaseModel):
    frequency: RecurrenceFrequency
    start: date
    end: date | None


class ApprovalRead(BaseModel):
    approved: bool
    reason: str | None
    actor: str | None
    decided_at: datetime


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
    stage: str | None
    customer: CustomerRef | None = Field(description="null only on a copy not yet completed")
    contact: str | None
    order_date: date
    currency: str
    customer_reference: str | None
    description: str | None
    opening_text: str | None
    closing_text: str | None
    payment_terms: PaymentTerms = Field(description="As agreed, else the default terms")
    payment_terms_agreed: bool
    billing_address: Address | None
    shipping_address: Address | None
    contract_number: str | None
    opportunity: OpportunityRef | None
    template_id: str | None
    recurring: RecurringRead | None
    lines: list[OrderLineRead]
    totals: TotalsRead
    documents: list[DocumentRead]
    external_reference: str | None
    quote_id: str | None
    approval: ApprovalRead | None
    cancellation_reason: str | None
    archived: bool
    archived_at: datetime | None
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


class OrderQuery(BaseModel):
    """The filters and the sort of order lists (also what a saved filter stores)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)

    status: OrderStatus | None = None
    stage: StageKey | None = None
    fulfilment: Fulfilment | None = None
    billing: Billing | None = None
    customer_id: uuid.UUID | None = None
    opportunity_id: OpportunityId | None = None
    date_from: date | None = Field(default=None, description="Order date on or after")
    date_to: date | None = Field(default=None, description="Order date on or before")
    gross_min: Money | None = Field(default=None, description="Gross total at least")
    gross_max: Money | None = Field(default=None, description="Gross total at most")
    q: ShortText | None = Field(
        default=None, description="Part of the number, description or customer reference"
    )
    external_reference: ShortText | None = None
    archived: bool = Field(default=False, description="true: archived orders only")
    sort: OrderSort = OrderSort.CREATED_AT
    direction: Direction = Direction.DESC


class SavedQuery(OrderQuery):
    model_config = ConfigDict(extra="forbid")


# --- quotes --------------------------------------------------------------------------------------


class QuoteCreate(ContentCreate):
    quote_date: date | None = None
    valid_until: date | None = Field(default=None, description="Default: 30 days after")


class QuoteUpdate(ContentUpdate):
    quote_date: date | None = None
    valid_until: date | None = None

    _date_not_null = not_null("quote_date", "valid_until")


class QuoteReject(RequestBody):
    reason: LongText | None = None


class OrderRefRead(BaseModel):
    id: str
    number: str


class QuoteDocumentRead(BaseModel):
    document_id: str
    reference: str
    download_path: str


class QuoteLineRead(BaseModel):
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


class QuoteRead(BaseModel):
    id: str
    number: str = Field(examples=["QT-2026-000007"])
    status: QuoteStatus = Field(description="`expired`: sent, and past its validity date")
    customer: CustomerRef
    contact: str | None
    quote_date: date
    valid_until: date
    currency: str
    customer_reference: str | None
    description: str | None
    opening_text: str | None
    closing_text: str | None
    payment_terms: PaymentTerms
    payment_terms_agreed: bool
    billing_address: Address | None
    shipping_address: Address | None
    opportunity: OpportunityRef | None
    template_id: str | None
    recurring: RecurringRead | None
    lines: list[QuoteLineRead]
    totals: TotalsRead
    orders: list[OrderRefRead]
    documents: list[QuoteDocumentRead]
    sent_at: datetime | None
    decided_at: datetime | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime


class QuotePage(BaseModel):
    items: list[QuoteRead]
    next_cursor: str | None


# --- stages and approval -------------------------------------------------------------------------


class StageIn(RequestBody):
    key: StageKey
    name: Name
    position: Annotated[int, Field(ge=0, le=10_000)]
    required_fields: Annotated[list[StageField], Field(max_length=6)] = Field(default_factory=list)
    allowed_roles: Annotated[list[Role], Field(max_length=6)] = Field(
        default_factory=list, description="Who may move an order into it (admin always may)"
    )
    is_approval: bool = False


class StageRead(BaseModel):
    key: str
    name: str
    position: int
    required_fields: list[str]
    allowed_roles: list[str]
    is_approval: bool


class StagesPut(RequestBody):
    stages: Annotated[list[StageIn], Field(max_length=50)]


class StagesRead(BaseModel):
    stages: list[StageRead]


class StageMove(RequestBody):
    stage: StageKey
    reason: LongText | None = None


class ApprovalDecision(RequestBody):
    approved: bool
    reason: LongText | None = Field(default=None, description="Required when refusing")


# --- saved filters -------------------------------------------------------------------------------


class SavedFilterCreate(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    query: SavedQuery = Field(default_factory=SavedQuery)


class SavedFilterRead(BaseModel):
    id: str
    name: str
    query: dict[str, Any]
    created_at: datetime


class SavedFilterPage(BaseModel):
    items: list[SavedFilterRead]
    next_cursor: str | None
