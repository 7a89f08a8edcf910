"""Bodies of the orders API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from contracts.common import (
    LongText,
    Money,
    ShortText,
)
from orders.domain.order import Billing, Fulfilment, OrderStatus
from orders.entrypoints.content_schemas import (
    ContentCreate,
    ContentUpdate,
    CustomerRef,
    LineRead,
    OpportunityRef,
    RecurringRead,
    TotalsRead,
)
from orders.entrypoints.shared_schemas import (
    Address,
    OpportunityId,
    PaymentTerms,
    RequestBody,
    not_null,
)
from orders.entrypoints.stages_schemas import (
    StageKey,
)
from orders.service_layer.ports import Direction, OrderSort
from servicekit.api import RequestBody as StorableBody
from servicekit.pagination import Page

WarehouseCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$", examples=["MAIN"])]


class OrderCreate(ContentCreate):
    order_date: date | None = None
    contract_number: ShortText | None = None
    warehouse: WarehouseCode | None = Field(
        default=None,
        description="Reserve and ship from this warehouse only (default: inventory's rule)",
    )
    split_allowed: bool = Field(
        default=False,
        description="Its SKUs may be reserved in different warehouses when no one has them all",
    )
    requested_delivery_date: date | None = Field(
        default=None,
        description="When the customer wants the goods (not before the order date)",
    )
    promised_delivery_date: date | None = Field(
        default=None,
        description="When delivery is promised (not before the order date; lines may differ)",
    )


class OrderUpdate(ContentUpdate):
    order_date: date | None = None
    contract_number: ShortText | None = None
    warehouse: WarehouseCode | None = None
    split_allowed: bool | None = None
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None

    _split_not_null = not_null("split_allowed")

    _date_not_null = not_null("order_date")


class OrderDetailsUpdate(RequestBody):
    """The fields a stage may require: editable while the order is a draft or open."""

    contract_number: ShortText | None = None
    payment_terms: PaymentTerms | None = None
    customer_reference: ShortText | None = None
    contact: ShortText | None = None
    contact_id: uuid.UUID | None = None
    billing_address: Address | None = None
    billing_address_id: uuid.UUID | None = None
    shipping_address: Address | None = None
    shipping_address_id: uuid.UUID | None = None

    _not_null = not_null("billing_address_id", "shipping_address_id", "contact_id")


class OrderCancel(RequestBody):
    reason: LongText | None = None


class OrderCloseShort(RequestBody):
    reason: LongText | None = Field(
        default=None, description="Why the unshipped remainder is cancelled"
    )


class ApprovalRead(BaseModel):
    approved: bool
    reason: str | None
    actor: str | None
    decided_at: datetime


class OrderLineRead(LineRead):
    shipped_quantity: Decimal
    cancelled_quantity: Decimal = Field(
        default=Decimal(0),
        description="The unshipped remainder cancelled when the order was closed short",
    )
    returned_quantity: Decimal = Field(
        default=Decimal(0), description="What came back from the customer (received returns)"
    )


class DocumentRead(BaseModel):
    document_id: str
    kind: str
    reference: str
    download_path: str


class OrderRead(BaseModel):
    id: str
    number: str = Field(examples=["SO-2026-000042"])
    owner: str | None = Field(description="The responsible user (token subject)")
    team: str | None
    status: OrderStatus
    fulfilment: Fulfilment
    billing: Billing
    invoiced_total: Decimal | None = Field(
        default=None, description="The gross its invoices add up to (null: not invoiced)"
    )
    uninvoiced_total: Decimal | None = Field(
        default=None, description="What its invoices have not taken yet (null: not invoiced)"
    )
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
    warehouse: str | None = Field(
        default=None, description="The warehouse it is reserved and shipped from (null: any)"
    )
    split_allowed: bool = False
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants the goods"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="When delivery is promised (a line may have its own)"
    )
    closed_short_at: datetime | None = Field(
        default=None,
        description="When the order was closed short (it completes once its stock is released)",
    )
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class OrderPage(Page[OrderRead]):
    pass


class OrderView(StrEnum):
    """How a list shows each order: whole, or its header alone."""

    FULL = "full"
    SUMMARY = "summary"


class SummaryTotalsRead(BaseModel):
    net: Decimal
    tax: Decimal
    gross: Decimal


class OrderSummaryRead(BaseModel):
    """An order in a list's summary view (`view=summary`): its header, states and totals,
    without lines, addresses, documents or the tax breakdown (`GET /orders/{id}` has them)."""

    id: str
    number: str = Field(examples=["SO-2026-000042"])
    customer_id: str | None = Field(description="null only on a copy not yet completed")
    customer: CustomerRef | None = Field(
        default=None,
        description="As in the full view (null only on a copy not yet completed)",
    )
    owner: str | None = Field(description="The responsible user (token subject)")
    team: str | None
    status: OrderStatus
    fulfilment: Fulfilment
    billing: Billing
    stage: str | None
    currency: str
    order_date: date
    totals: SummaryTotalsRead
    invoiced_total: Decimal | None = Field(
        description="The gross its invoices add up to (null: not invoiced)"
    )
    external_reference: str | None
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class OrderSummaryPage(Page[OrderSummaryRead]):
    pass


class OrderQuery(StorableBody):
    """The filters and the sort of order lists (also what a saved filter stores)."""

    model_config = ConfigDict(extra="ignore")

    status: OrderStatus | None = None
    stage: StageKey | None = None
    fulfilment: Fulfilment | None = None
    billing: Billing | None = None
    customer_id: uuid.UUID | None = None
    opportunity_id: OpportunityId | None = None
    date_from: date | None = Field(default=None, description="Order date on or after")
    date_to: date | None = Field(default=None, description="Order date on or before")
    promised_before: date | None = Field(
        default=None,
        description="Promised for delivery (the order's promised date) before this day",
    )
    gross_min: Money | None = Field(default=None, description="Gross total at least")
    gross_max: Money | None = Field(default=None, description="Gross total at most")
    q: ShortText | None = Field(
        default=None, description="Part of the number, description or customer reference"
    )
    external_reference: ShortText | None = None
    archived: bool = Field(default=False, description="true: archived orders only")
    sort: OrderSort = OrderSort.CREATED_AT
    direction: Direction = Direction.DESC
    owner: ShortText | None = Field(default=None, description="The owner's subject; `me`: yours")
    team: ShortText | None = None
