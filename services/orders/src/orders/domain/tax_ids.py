"""Tax identifiers, checked per country with python-stdnum (formats and check digits).

A VAT number with its EU country prefix (`DE136695976`) is checked as such; otherwise the
country of the customer's billing address says which number it is (its VAT number, else its
tax identification number). A country stdnum has no check for keeps the number as given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule

from orders.domain.errors import InvalidOrder

# The kinds of number tried for a country, in this order (stdnum's module names).
_KINDS = ("vat", "tin", "ein")


def _checker(country: str) -> NumberValidationModule | None:
    for kind in _KINDS:
        module = get_cc_module(country.lower(), kind)
        if module is not None:
            return module
    return None


def normalised_tax_id(tax_id: str, country: str | None, *, field: str = "tax_id") -> str:
    """The tax id in its compact form (InvalidOrder naming `field` if it is not valid)."""
    given = tax_id.strip()
    prefixed = "".join(c for c in given if c.isalnum()).upper()
    prefix = prefixed[:2].lower()
    if len(prefixed) > 2 and prefix.isalpha() and prefix in eu_vat.MEMBER_STATES:
        try:
            return str(eu_vat.validate(prefixed))
        except ValidationError as exc:
            raise InvalidOrder(field, f"not a valid VAT number: {exc}") from None
    if country is None:
        raise InvalidOrder(
            field,
            "give the customer a billing address (its country says how to check the "
            "number) or a VAT number with its country prefix",
        )
    checker = _checker(country)
    if checker is None:
        return given  # stdnum cannot check this country's numbers
    try:
        return str(checker.validate(given))
    except ValidationError as exc:
        raise InvalidOrder(field, f"not a valid tax id for {country}: {exc}") from None
