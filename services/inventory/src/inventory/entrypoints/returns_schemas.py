"""Bodies of the return (RMA) routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from inventory.domain.returns import Disposition, ReturnAuthorisation, ReturnStatus
from inventory.entrypoints.common import QuantityOut, Sku
from inventory.entrypoints.shipments_schemas import OrderId, QuantityIn
from servicekit.api import RequestBody
from servicekit.pagination import Page

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ReturnLineCreate(RequestBody):
    sku: Sku
    quantity: QuantityIn


class ReturnCreate(RequestBody):
    order_id: OrderId
    reason: Reason
    lines: list[ReturnLineCreate] = Field(min_length=1, max_length=500)


class ReturnLineDisposition(RequestBody):
    sku: Sku
    disposition: Disposition


class ReturnReceipt(RequestBody):
    lines: list[ReturnLineDisposition] = Field(
        min_length=1, max_length=500, description="What happens to each line of the return"
    )
    note: Reason | None = Field(default=None, description="What was found (why scrapped, say)")


class ReturnLineRead(BaseModel):
    sku: str
    quantity: QuantityOut
    disposition: Disposition | None


class ReturnRead(BaseModel):
    id: str
    number: str
    order_id: str
    reason: str
    status: ReturnStatus
    lines: list[ReturnLineRead]
    note: str | None
    created_at: datetime | None
    received_at: datetime | None

    @classmethod
    def of(cls, rma: ReturnAuthorisation) -> ReturnRead:
        chosen = rma.dispositions or {}
        return cls(
            id=rma.id,
            number=rma.number,
            order_id=rma.order_id,
            reason=rma.reason,
            status=rma.status,
            lines=[
                ReturnLineRead(sku=sku, quantity=q, disposition=chosen.get(sku))
                for sku, q in rma.lines.items()
            ],
            note=rma.note,
            created_at=rma.created_at,
            received_at=rma.received_at,
        )


class ReturnPage(Page[ReturnRead]):
    """A page of returns, oldest first."""
