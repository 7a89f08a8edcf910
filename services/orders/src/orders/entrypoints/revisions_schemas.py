"""Request and response bodies of order revisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.common import ItemKind, LongText, Percent, Quantity, Sku
from orders.entrypoints.shared_schemas import Price, RequestBody, not_null


class RevisionLine(RequestBody):
    """A line of the revised order. With `line_no` it keeps that line of the order (fields not
    given stay as they are; its item cannot change); without, it is a new line and needs
    `sku`, `kind`, `quantity` and `tax_rate` (a price from the catalogue when none is given)."""

    line_no: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="The order's line this one keeps; absent: a new line"
    )
    sku: Sku | None = None
    kind: ItemKind | None = None
    description: Annotated[LongText, Field(min_length=1)] | None = None
    quantity: Quantity | None = None
    unit_price: Price | None = None
    discount_percent: Percent | None = None
    tax_rate: Percent | None = None
    requested_delivery_date: date | None = Field(
        default=None, description="Not given: a kept line keeps its date"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="Not given: a kept line keeps its date"
    )


class RevisionCreate(RequestBody):
    """What changes. `lines` (when given) are all the order's lines as they are to be: a line
    of the order not named by a `line_no` here is removed."""

    lines: Annotated[list[RevisionLine], Field(min_length=1, max_length=500)] | None = None
    order_date: date | None = None
    requested_delivery_date: date | None = Field(
        default=None, description="The order's; `null` clears it"
    )
    promised_delivery_date: date | None = Field(
        default=None,
        description="The order's promise, moved (not before the order date); `null` clears it",
    )

    _not_null = not_null("lines", "order_date")


class FieldChangeRead(BaseModel):
    field: str = Field(examples=["lines.2.quantity"])
    before: str | None = Field(description="null: the field (or line) was not there")
    after: str | None = Field(description="null: the field (or line) was removed")


class RevisionRead(BaseModel):
    revision: int
    revised_at: datetime
    actor: str | None = Field(description="Who changed it (token subject)")
    changes: list[FieldChangeRead]


class RevisionList(BaseModel):
    items: list[RevisionRead]
