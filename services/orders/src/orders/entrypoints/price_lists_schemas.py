"""Bodies of the price list routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.common import CurrencyCode, Money, Percent, Sku
from servicekit.api import RequestBody
from servicekit.pagination import Page

BreakQuantity = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]


class PriceBreakBody(RequestBody):
    """From `min_quantity` on: a fixed `unit_price`, or `discount_percent` off the list price."""

    sku: Sku
    min_quantity: BreakQuantity = Decimal(0)
    unit_price: Annotated[Money, Field(ge=0)] | None = None
    discount_percent: Percent | None = None


class PriceListWrite(RequestBody):
    """A whole price list (POST creates one, PUT replaces one): for a customer or a customer
    group (its code), in one currency, valid from/to (inclusive; open without them)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    currency: CurrencyCode
    customer_id: uuid.UUID | None = None
    customer_group: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    entries: Annotated[list[PriceBreakBody], Field(max_length=1000)] = Field(default_factory=list)


class PriceBreakRead(BaseModel):
    sku: str
    min_quantity: Decimal
    unit_price: Decimal | None
    discount_percent: Decimal | None


class PriceListRead(BaseModel):
    id: str
    name: str
    currency: str
    customer_id: str | None
    customer_group: str | None
    valid_from: date | None
    valid_to: date | None
    entries: list[PriceBreakRead]
    created_at: datetime
    updated_at: datetime


class PriceListPage(Page[PriceListRead]):
    """Price lists, newest first."""
