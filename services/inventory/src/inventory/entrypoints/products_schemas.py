"""Bodies of the catalogue routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from contracts.common import Money
from inventory.domain.model import ItemKind
from servicekit.api import RequestBody
from servicekit.pagination import Page

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=4000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class ListPriceBody(BaseModel):
    """A list price: the amount in one currency, rounded to its minor unit."""

    currency: Currency
    amount: Annotated[Money, Field(ge=0)]


class ProductUpdate(RequestBody):
    """The whole product (PUT creates it or replaces its fields)."""

    name: Name
    kind: ItemKind = Field(description="`product` is stocked and shipped; `service` is not")
    description: Description | None = None
    list_prices: list[ListPriceBody] = Field(
        default_factory=list, max_length=200, description="At most one price per currency"
    )
    unit_of_measure: Code = Field(default="unit", description="e.g. unit, kg, m, h (UN/ECE 20)")
    tax_category: Code = Field(default="standard", description="e.g. standard, reduced, zero")
    active: bool = Field(default=True, description="Inactive items cannot be ordered")
    barcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = Field(
        default=None, description="GTIN: EAN-8, UPC-A (12), EAN-13 or GTIN-14"
    )


class ListPriceRead(BaseModel):
    currency: str
    amount: str


class ProductRead(BaseModel):
    sku: str
    name: str
    kind: ItemKind
    description: str | None
    list_prices: list[ListPriceRead]
    unit_of_measure: str
    tax_category: str
    active: bool
    barcode: str | None
    created_at: datetime
    updated_at: datetime


class ProductPage(Page[ProductRead]):
    """A page of products and services, in SKU order."""
