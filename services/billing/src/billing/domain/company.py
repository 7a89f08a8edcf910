"""The company that issues the invoices, as e-invoices name it (seller): legal name, VAT id,
address and bank account, checked with `python-stdnum` (VAT id per EU country, IBAN, BIC)."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import bic, iban
from stdnum.eu import vat
from stdnum.exceptions import ValidationError


@dataclass(frozen=True)
class Company:
    legal_name: str
    vat_id: str
    line1: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    iban: str
    bic: str | None = None
    email: str | None = None


def checked_vat_id(value: str) -> str:
    """The VAT id in its compact form (`DE 136 695 976` → `DE136695976`); raises ValueError
    naming what is wrong."""
    try:
        return str(vat.validate(value))
    except ValidationError as exc:
        raise ValueError(f"{value!r} is not a valid EU VAT id: {exc}") from None


def checked_iban(value: str) -> str:
    try:
        return str(iban.validate(value))
    except ValidationError as exc:
        raise ValueError(f"{value!r} is not a valid IBAN: {exc}") from None


def checked_bic(value: str) -> str:
    try:
        return str(bic.validate(value))
    except ValidationError as exc:
        raise ValueError(f"{value!r} is not a valid BIC: {exc}") from None
