"""What the credit notes API takes and answers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from billing.domain.credit_notes import CreditNote
from contracts.common import Address, CustomerRef, LongText, Money, Percent, Quantity, Totals
from contracts.events import CreditNoteLine
from servicekit.api import RequestBody
from servicekit.pagination import Page


class CreditedLine(RequestBody):
    line_no: Annotated[int, Field(ge=1, description="The invoice's line")]
    quantity: Quantity


class CreditNoteCreate(RequestBody):
    """Credit chosen quantities of the invoice's lines, or an amount (tax included), never
    both."""

    reason: Annotated[LongText, Field(min_length=1)]
    lines: Annotated[list[CreditedLine] | None, Field(min_length=1, max_length=500)] = None
    amount: Annotated[Money | None, Field(gt=0, description="Tax included")] = None
    tax_rate: Annotated[
        Percent | None,
        Field(description="The invoice's tax rate the amount is taxed at (its only one if None)"),
    ] = None


class CreditNoteRead(BaseModel):
    id: str
    number: str
    invoice_id: str
    invoice_number: str
    order_id: str
    order_number: str
    customer: CustomerRef
    billing_address: Address | None
    currency: str
    issue_date: date
    reason: str
    lines: list[CreditNoteLine]
    totals: Totals
    applied_amount: Decimal = Field(description="What it took off the invoice's open amount")
    customer_credit: Decimal = Field(description="What it left as the customer's credit")
    credit_payment_id: str | None = Field(
        description="The customer payment holding that credit (GET /payments/{id})"
    )
    return_id: str | None
    return_number: str | None
    created_at: datetime | None

    @classmethod
    def of(cls, note: CreditNote) -> CreditNoteRead:
        return cls.model_validate(
            {
                **dataclasses.asdict(note),
                "return_id": note.returned.return_id if note.returned else None,
                "return_number": note.returned.number if note.returned else None,
            }
        )


class CreditNotePage(Page[CreditNoteRead]):
    pass
