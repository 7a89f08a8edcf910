"""What the draft invoices API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from billing.domain.drafts import DraftStatus, InvoiceDraft
from billing.entrypoints.order_invoicing_schemas import ManualLine
from contracts.common import CustomerRef, LongText, Totals
from contracts.events import InvoiceLine
from servicekit.api import RequestBody
from servicekit.pagination import Page


class InvoiceDraftCreate(RequestBody):
    """Which quantities of which order lines the draft invoices."""

    lines: Annotated[list[ManualLine], Field(min_length=1, max_length=500)]


class InvoiceDraftUpdate(InvoiceDraftCreate):
    """The draft's new quantities (they replace the earlier ones)."""


class InvoiceDraftDiscard(RequestBody):
    reason: LongText | None = None


class InvoiceDraftRead(BaseModel):
    id: str
    order_id: str
    order_number: str
    status: DraftStatus
    customer: CustomerRef
    currency: str
    lines: list[InvoiceLine] = Field(description="As they would be invoiced when last saved")
    totals: Totals
    invoice_id: str | None = Field(
        default=None, description="The invoice it became once issued (GET /invoices/{id})"
    )
    reason: str | None = Field(default=None, description="Why it was discarded")
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, draft: InvoiceDraft) -> InvoiceDraftRead:
        return cls.model_validate(draft, from_attributes=True)


class InvoiceDraftPage(Page[InvoiceDraftRead]):
    pass
