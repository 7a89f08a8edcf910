"""Currencies: ISO 4217 codes and their minor units, from the maintained `iso4217` data package.

Amounts are stored with 2 decimals (NUMERIC(18, 2)) everywhere in the suite, so an amount is
rounded to the currency's minor unit only where that is at most 2 decimals (JPY: 0, EUR: 2).
Currencies with 3 or 4 minor digits (BHD, KWD, CLF ...) are rounded to 2 decimals until the
storage is widened; see docs/adr/0005-one-rounding-rule.md.
"""

from __future__ import annotations

from functools import cache

from iso4217 import Currency

# Decimal places of every amount column (NUMERIC(18, 2)) and of the `Money` contract type.
STORAGE_DECIMALS = 2


class UnknownCurrency(ValueError):
    """The code is not an ISO 4217 currency code."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"{code!r} is not an ISO 4217 currency code")


@cache
def _currency(code: str) -> Currency | None:
    try:
        return Currency(code)  # by value: the upper-case code only ('eur' is not one)
    except ValueError:
        return None


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code, spelled in upper case (EUR, JPY, XAU)."""
    return _currency(code) is not None


def validate_currency(code: str) -> str:
    """`code` itself if it is an ISO 4217 currency code; else raises `UnknownCurrency`."""
    if _currency(code) is None:
        raise UnknownCurrency(code)
    return code


def minor_units(code: str) -> int | None:
    """The ISO 4217 minor units of a currency (EUR 2, JPY 0, KWD 3); None where ISO defines
    none (XAU, XDR, XXX). Raises `UnknownCurrency` for a code that is not ISO 4217."""
    currency = _currency(code)
    if currency is None:
        raise UnknownCurrency(code)
    return currency.exponent


def amount_decimals(code: str | None) -> int:
    """How many decimals an amount in `code` is rounded to.

    The currency's minor units, capped at what the storage holds (2). Without a currency, for a
    code ISO 4217 does not know or one without minor units, the storage's 2 decimals: the
    suite's behaviour before currencies were considered, which its API still accepts.
    """
    if code is None:
        return STORAGE_DECIMALS
    currency = _currency(code)
    exponent = currency.exponent if currency is not None else None
    if exponent is None:
        return STORAGE_DECIMALS
    return min(exponent, STORAGE_DECIMALS)
