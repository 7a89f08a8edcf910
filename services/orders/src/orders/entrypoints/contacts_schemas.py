"""Bodies of a customer's contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from contracts.common import ShortText
from orders.entrypoints.shared_schemas import Email, Name, RequestBody, not_null
from servicekit.pagination import Page

Phone = Annotated[str, Field(min_length=1, max_length=50)]


class ContactCreate(RequestBody):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    position: ShortText | None = None


class ContactUpdate(RequestBody):
    """Any field; `null` clears e-mail, phone or position."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    position: ShortText | None = None

    _not_null = not_null("name")


class ContactRead(BaseModel):
    id: str
    customer_id: str
    name: str
    email: str | None
    phone: str | None
    position: str | None
    label: str = Field(description="What an order or quote picking the contact copies")
    created_at: datetime
    updated_at: datetime


class ContactPage(Page[ContactRead]):
    pass
