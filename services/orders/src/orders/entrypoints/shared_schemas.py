"""Shapes every resource's request and response bodies share."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from contracts.common import (
    CountryCode,
    Money,
    ShortText,
)
from orders.domain.content import RecurrenceFrequency
from servicekit.api import RequestBody as StorableBody

Name = Annotated[str, Field(min_length=1, max_length=200)]


Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


Price = Annotated[Money, Field(ge=0)]


OpportunityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\s/?#]+$",
        description="The opportunity's id in the CRM",
        examples=["OPP-1042"],
    ),
]


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


def not_null(*fields: str) -> Any:
    """A validator for PATCH fields that may be omitted but not set to null."""
    return field_validator(*fields)(_reject_null)


class RequestBody(StorableBody):
    """Request bodies: unknown fields refused, text storable, surrounding whitespace stripped."""

    model_config = ConfigDict(str_strip_whitespace=True)


class Address(RequestBody):
    name: ShortText | None = None
    line1: Name
    line2: ShortText | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    city: Name
    region: ShortText | None = None
    country: CountryCode


class PaymentTerms(RequestBody):
    days: Annotated[int, Field(ge=0, le=365)] = 30
    text: ShortText | None = None


class Recurring(RequestBody):
    """Bill again every period from `start` until `end` (open-ended without it)."""

    frequency: RecurrenceFrequency
    start: date
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after the start")
        return value
