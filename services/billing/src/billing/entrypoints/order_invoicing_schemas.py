"""What the order invoicing API takes and answers: an order's policy and how far it is invoiced."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from billing.domain.invoicing_policy import InvoicingPolicy, InvoicingState
from contracts.common import Quantity
from servicekit.api import RequestBody


class InvoicingPolicyUpdate(RequestBody):
    policy: InvoicingPolicy


class ManualLine(RequestBody):
    line_no: Annotated[int, Field(ge=1)]
    quantity: Quantity


class LineProgressRead(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    shipped: Decimal
    invoiced: Decimal


class OrderInvoicingRead(BaseModel):
    order_id: str
    policy: InvoicingPolicy
    own_policy: bool
    currency: str | None
    order_total: Decimal | None
    invoiced_total: Decimal
    uninvoiced_total: Decimal | None
    state: InvoicingState
    lines: list[LineProgressRead]
    down_payment_left: Decimal = Field(
        description="What down-payment invoices took that later invoices did not deduct yet"
    )
