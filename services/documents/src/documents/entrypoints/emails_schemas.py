"""What the e-mails API reads and answers."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from documents.domain.emails import EMAIL_ADDRESS, MAX_MESSAGE, MAX_RECIPIENTS, EmailStatus
from servicekit.api import RequestBody
from servicekit.pagination import Page

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _address(value: str) -> str:
    if not EMAIL_ADDRESS.match(value):
        raise ValueError("not an e-mail address (plain ASCII addr-spec, e.g. name@example.com)")
    return value


def _no_control(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value


EmailAddress = Annotated[str, Field(min_length=3, max_length=200), AfterValidator(_address)]


class EmailCreate(RequestBody):
    """Send the document as a PDF attachment."""

    to: list[EmailAddress] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    cc: list[EmailAddress] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    subject: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=200,
            description='Default: the document\'s title and number, e.g. "Invoice INV-2026-000001"',
        ),
        AfterValidator(_no_control),
    ] = None
    message: str = Field(min_length=1, max_length=MAX_MESSAGE, description="Plain text")


class EmailRead(BaseModel):
    """One e-mail (of a document, or an order owner's milestone notification) and where its
    delivery stands."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID | None = Field(description="None for a milestone notification")
    milestone: str | None = Field(
        default=None, description="The order milestone's event type, for a notification"
    )
    order_id: str | None
    quote_id: str | None
    to: list[str]
    cc: list[str]
    subject: str
    message: str
    status: EmailStatus
    attempts: int = Field(description="Attempts so far (since it was last queued by hand)")
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    requested_by: str | None
    created_at: datetime
    updated_at: datetime


class EmailPage(Page[EmailRead]):
    """One page of e-mails."""


EmailId = Annotated[uuid.UUID, Path(description="The e-mail's id")]
