"""Line amounts and order totals: the suite's one pricing module (`pricing`), as orders shows them.

The arithmetic and the rounding rule live in `pricing` (docs/adr/0005-one-rounding-rule.md); these
names stay importable from here. An order lists its tax breakdown highest rate first, each rate
without trailing zeros.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from pricing import (
    CENT,
    EXACT,
    HUNDRED,
    MAX_AMOUNT,
    ZERO,
    AmountTooLarge,
    LineAmounts,
    TaxLine,
    Totals,
    document_totals,
    in_currency,
    line_amounts,
    plain,
    round_money,
)

__all__ = [
    "CENT",
    "EXACT",
    "HUNDRED",
    "MAX_AMOUNT",
    "ZERO",
    "AmountTooLarge",
    "LineAmounts",
    "TaxLine",
    "Totals",
    "in_currency",
    "line_amounts",
    "plain",
    "round_money",
    "totals",
]


def totals(lines: Iterable[tuple[Decimal, LineAmounts]], *, currency: str | None = None) -> Totals:
    """Sum the already rounded line amounts; one tax line per rate, highest rate first.

    Each item is `(tax_rate, amounts)`. Summing rounded line amounts (rather than rounding a
    per-rate total) keeps the document's lines and its totals adding up to the cent.
    """
    result = document_totals(lines, subject="order", currency=currency)
    taxes = tuple(
        TaxLine(rate=plain(tax.rate), base=tax.base, amount=tax.amount)
        for tax in reversed(result.taxes)
    )
    return replace(result, taxes=taxes)
