"""What the catalogue says about an item besides its name and kind: list prices per currency,
unit of measure, tax category, whether it is sold (active) and its barcode. Plain values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum import ean
from stdnum.exceptions import ValidationError

from pricing import MAX_AMOUNT, round_money, validate_currency

DEFAULT_UNIT = "unit"
DEFAULT_TAX_CATEGORY = "standard"


class InvalidCatalogueEntry(ValueError):
    """A catalogue field breaks a rule; `field` names it (as in the request body)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def gtin(barcode: str, *, field: str = "barcode") -> str:
    """The barcode as a valid GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14, check digit included),
    spaces and hyphens removed; raises InvalidCatalogueEntry otherwise (python-stdnum)."""
    try:
        return str(ean.validate(barcode))
    except ValidationError as exc:
        raise InvalidCatalogueEntry(field, f"{barcode!r} is not a valid GTIN/EAN: {exc}") from None


def list_prices(
    prices: Iterable[tuple[str, Decimal]], *, field: str = "list_prices"
) -> dict[str, Decimal]:
    """List prices per ISO 4217 currency, each rounded to the currency's minor unit; one price
    per currency, none negative."""
    result: dict[str, Decimal] = {}
    for index, (currency, amount) in enumerate(prices):
        where = f"{field}.{index}"
        try:
            validate_currency(currency)
        except ValueError as exc:
            raise InvalidCatalogueEntry(f"{where}.currency", str(exc)) from None
        if currency in result:
            raise InvalidCatalogueEntry(f"{where}.currency", f"{currency} is listed twice")
        if amount < 0 or amount > MAX_AMOUNT:
            raise InvalidCatalogueEntry(f"{where}.amount", f"must be between 0 and {MAX_AMOUNT}")
        result[currency] = round_money(amount, currency)
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class CatalogueDetails:
    """The commercial side of a catalogue entry (defaults: no price, sold per unit)."""

    list_prices: Mapping[str, Decimal] = field(default_factory=dict)
    unit_of_measure: str = DEFAULT_UNIT
    tax_category: str = DEFAULT_TAX_CATEGORY
    active: bool = True
    barcode: str | None = None

    def price_in(self, currency: str) -> Decimal | None:
        return self.list_prices.get(currency)
