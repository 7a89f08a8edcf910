"""ISO 4217 codes and minor units, from the maintained data package."""

from __future__ import annotations

import pytest

from pricing import (
    DEFAULT_DECIMALS,
    STORAGE_DECIMALS,
    UnknownCurrency,
    amount_decimals,
    is_currency,
    minor_units,
    validate_currency,
)


@pytest.mark.parametrize(
    ("code", "units"),
    [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_minor_units_come_from_iso_4217(code: str, units: int) -> None:
    assert minor_units(code) == units


def test_some_iso_codes_have_no_minor_unit() -> None:
    assert minor_units("XAU") is None
    assert minor_units("XXX") is None


@pytest.mark.parametrize("code", ["ABC", "eur", "EURO", "", "MRO_"])
def test_codes_outside_iso_4217_are_refused(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(UnknownCurrency, match="not an ISO 4217 currency code"):
        validate_currency(code)
    with pytest.raises(UnknownCurrency):
        minor_units(code)


def test_valid_codes_are_returned_unchanged() -> None:
    assert validate_currency("EUR") == "EUR"
    assert is_currency("CHF")


@pytest.mark.parametrize(
    ("code", "decimals"),
    [
        ("EUR", 2),
        ("JPY", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", STORAGE_DECIMALS),  # 4 minor digits, the most ISO 4217 has: NUMERIC(20, 4)
        ("XAU", DEFAULT_DECIMALS),
        ("ABC", DEFAULT_DECIMALS),
        (None, DEFAULT_DECIMALS),
    ],
)
def test_amounts_are_rounded_to_the_currency_minor_unit(code: str | None, decimals: int) -> None:
    assert amount_decimals(code) == decimals
