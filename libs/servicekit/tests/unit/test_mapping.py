"""Copying a value between types that spell it with the same field names."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field, ValidationError

from contracts.common import PaymentTerms as TermsPayload
from servicekit.mapping import copied, copied_or_none


@dataclasses.dataclass(frozen=True)
class Terms:
    days: int
    text: str | None = None


class TermsRead(BaseModel):
    days: int = Field(ge=0)
    text: str | None


@dataclasses.dataclass(frozen=True)
class Tax:
    rate: Decimal
    amount: Decimal
    label: str = dataclasses.field(init=False, default="VAT")


PAYLOAD = TermsPayload(days=14, text="net 14")


def test_payload_to_domain_to_schema_keeps_every_field() -> None:
    terms = copied(Terms, PAYLOAD)
    assert terms == Terms(days=14, text="net 14")
    read = copied(TermsRead, terms)
    assert read.model_dump() == PAYLOAD.model_dump()
    assert copied(TermsPayload, read) == PAYLOAD


def test_a_mapping_is_read_by_key() -> None:
    assert copied(Terms, {"days": 7, "text": None, "unrelated": 1}) == Terms(days=7)


def test_none_passes_through() -> None:
    assert copied_or_none(Terms, None) is None
    assert copied_or_none(Terms, PAYLOAD) == Terms(days=14, text="net 14")


def test_a_missing_field_is_an_error_not_a_default() -> None:
    @dataclasses.dataclass
    class DaysOnly:
        days: int

    with pytest.raises(AttributeError, match="text"):
        copied(Terms, DaysOnly(3))
    with pytest.raises(KeyError, match="text"):
        copied(Terms, {"days": 3})


def test_fields_outside_the_constructor_are_left_alone() -> None:
    source = Tax(rate=Decimal("0.21"), amount=Decimal("2.10"))
    assert copied(Tax, source) == source
    assert copied(Tax, {"rate": Decimal("0.21"), "amount": Decimal("2.10")}).label == "VAT"


def test_pydantic_targets_still_validate() -> None:
    with pytest.raises(ValidationError, match="days"):
        copied(TermsRead, Terms(days=-1))


def test_other_kinds_are_refused() -> None:
    with pytest.raises(TypeError, match="neither a dataclass nor a pydantic model"):
        copied(dict, PAYLOAD)
