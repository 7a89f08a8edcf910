"""Bodies of the catalogue routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from inventory.domain.model import ItemKind
from servicekit.api import RequestBody
from servicekit.pagination import Page

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=4000)]


class ProductUpdate(RequestBody):
    """The whole product (PUT creates it or replaces its fields)."""

    name: Name
    kind: ItemKind = Field(description="`product` is stocked and shipped; `service` is not")
    description: Description | None = None


class ProductRead(BaseModel):
    sku: str
    name: str
    kind: ItemKind
    description: str | None
    created_at: datetime
    updated_at: datetime


class ProductPage(Page[ProductRead]):
    """A page of products and services, in SKU order."""
