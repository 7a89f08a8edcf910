"""Currencies: ISO 4217 codes and their minor units, from the maintained `iso4217` data package.

Amounts are stored with up to 4 decimals (NUMERIC(20, 4)), the most ISO 4217 gives a currency
(CLF), so every amount is rounded to its currency's own minor unit: JPY 0, EUR 2, BHD 3; see
docs/adr/0005-one-rounding-rule.md.
"""

from __future__ import annotations

from functools import cache, lru_cache

from iso4217 import Currency

# Decimal places of every amount column (NUMERIC(20, 4)) and of the `Money` contract type: the
# largest minor unit ISO 4217 defines (CLF, UYW).
STORAGE_DECIMALS = 4
# Decimals of an amount without a currency, or in a code ISO 4217 gives no minor unit (XAU).
DEFAULT_DECIMALS = 2


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


@lru_cache(maxsize=256)  # asked for every amount rounded; bounded: codes may come from input
def amount_decimals(code: str | None) -> int:
    """How many decimals an amount in `code` is rounded to: the currency's minor units (EUR 2,
    JPY 0, BHD 3).

    Without a currency, for a code ISO 4217 does not know or one without minor units (XAU),
    2 decimals: the suite's behaviour before currencies were considered.
    """
    if code is None:
        return DEFAULT_DECIMALS
    currency = _currency(code)
    exponent = currency.exponent if currency is not None else None
    if exponent is None:
        return DEFAULT_DECIMALS
    return min(exponent, STORAGE_DECIMALS)
