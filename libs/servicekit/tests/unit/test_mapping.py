"""Copying a value between types that spell it with the same field names."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from contracts.common import Address as AddressPayload
from servicekit.mapping import copied, copied_or_none


@dataclasses.dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None


class AddressRead(BaseModel):
    name: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str


@dataclasses.dataclass(frozen=True)
class Tax:
    rate: Decimal
    amount: Decimal
    label: str = dataclasses.field(init=False, default="VAT")


PAYLOAD = AddressPayload(
    name="Núñez SL", line1="Calle Mayor 1", postal_code="28013", city="Madrid", country="ES"
)


def test_payload_to_domain_to_schema_keeps_every_field() -> None:
    address = copied(Address, PAYLOAD)
    assert address == Address(
        name="Núñez SL", line1="Calle Mayor 1", postal_code="28013", city="Madrid", country="ES"
    )
    read = copied(AddressRead, address)
    assert read.model_dump() == PAYLOAD.model_dump()
    assert copied(AddressPayload, read) == PAYLOAD


def test_a_mapping_is_read_by_key() -> None:
    stored = dataclasses.asdict(copied(Address, PAYLOAD))
    assert copied(Address, stored) == copied(Address, PAYLOAD)


def test_none_passes_through() -> None:
    assert copied_or_none(Address, None) is None
    assert copied_or_none(Address, PAYLOAD) == copied(Address, PAYLOAD)


def test_a_missing_field_is_an_error_not_a_default() -> None:
    @dataclasses.dataclass
    class Partial:
        line1: str
        city: str

    with pytest.raises(AttributeError, match="postal_code"):
        copied(Address, Partial("Calle Mayor 1", "Madrid"))
    with pytest.raises(KeyError, match="country"):
        copied(Address, {"line1": "x", "postal_code": "1", "city": "y"})


def test_fields_outside_the_constructor_are_left_alone() -> None:
    source = Tax(rate=Decimal("0.21"), amount=Decimal("2.10"))
    assert copied(Tax, source) == source
    assert copied(Tax, {"rate": Decimal("0.21"), "amount": Decimal("2.10")}).label == "VAT"


def test_pydantic_targets_still_validate() -> None:
    with pytest.raises(ValidationError, match="line1"):
        copied(AddressRead, {**PAYLOAD.model_dump(), "line1": None})


def test_other_kinds_are_refused() -> None:
    with pytest.raises(TypeError, match="neither a dataclass nor a pydantic model"):
        copied(dict, PAYLOAD)
