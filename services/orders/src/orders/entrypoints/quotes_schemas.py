"""Bodies of the quotes API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import (
    BaseModel,
    Field,
)

from contracts.common import (
    LongText,
)
from orders.domain.quote import QuoteStatus
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
    PaymentTerms,
    RequestBody,
    not_null,
)
from servicekit.pagination import Page


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


class QuoteLineRead(LineRead):
    pass  # nothing is shipped from a quote


class QuoteRead(BaseModel):
    id: str
    owner: str | None = Field(description="The responsible user (token subject)")
    team: str | None
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


class QuotePage(Page[QuoteRead]):
    pass
