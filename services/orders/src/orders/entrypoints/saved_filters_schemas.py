"""Bodies of the saved filters API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from orders.entrypoints.orders_schemas import (
    OrderQuery,
)
from orders.entrypoints.shared_schemas import (
    RequestBody,
)
from servicekit.pagination import Page


class SavedQuery(OrderQuery):
    model_config = ConfigDict(extra="forbid")


class SavedFilterCreate(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    query: SavedQuery = Field(default_factory=SavedQuery)


class SavedFilterRead(BaseModel):
    id: str
    name: str
    query: dict[str, Any]
    created_at: datetime


class SavedFilterPage(Page[SavedFilterRead]):
    pass
