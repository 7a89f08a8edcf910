"""The values every sales document carries: its priced lines, postal addresses, payment terms.

Orders, billing and documents each state them in their pure domains; they are one concept, kept
once here (plain frozen dataclasses, no pydantic) beside the money arithmetic that the same
documents share. The event payloads of `contracts` spell the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Self

from pricing.amounts import line_amounts


@dataclass(frozen=True)
class PricedLine:
    """A line of a sales document: what is sold, how many, at which price, discount and tax
    rate, and the amounts it came to (each rounded as `pricing.line_amounts` rounds them)."""

    line_no: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal

    @classmethod
    def priced(
        cls,
        *,
        line_no: int,
        sku: str,
        description: str,
        quantity: Decimal,
        unit_price: Decimal,
        discount_percent: Decimal,
        tax_rate: Decimal,
        currency: str | None = None,
    ) -> Self:
        """A line whose amounts are computed here from quantity, price, discount and rate,
        rounded to `currency`'s minor unit (`line_amounts`)."""
        amounts = line_amounts(quantity, unit_price, discount_percent, tax_rate, currency=currency)
        return cls(
            line_no=line_no,
            sku=sku,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount_percent,
            tax_rate=tax_rate,
            net_amount=amounts.net,
            tax_amount=amounts.tax,
            gross_amount=amounts.gross,
        )


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None

    def lines(self) -> list[str]:
        """The address as printed, one entry per line."""
        city = " ".join(part for part in (self.postal_code, self.city) if part)
        if self.region:
            city = f"{city}, {self.region}"
        candidates = [self.name, self.line1, self.line2, city, self.country]
        return [line for line in candidates if line]


@dataclass(frozen=True)
class PaymentTerms:
    days: int = 30
    text: str | None = None

    def due_date(self, issue_date: date) -> date:
        return due_date(issue_date, self.days)


def due_date(issue_date: date, days: int) -> date:
    """The day a document issued on `issue_date` with `days` payment terms falls due."""
    if days < 0:
        raise ValueError("payment terms cannot be negative")
    return issue_date + timedelta(days=days)
