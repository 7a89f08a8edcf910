"""Line amounts and order totals: Decimal arithmetic, rounded half-up to the cent per line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999999999.99")  # what a NUMERIC(18, 2) column holds

# Room for quantity × price × percentage without any silent rounding (the default context keeps
# only 28 significant digits; a 15-digit quantity times an 18-digit price needs 33).
EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


class AmountTooLarge(ValueError):
    """A computed amount does not fit in 18 digits with 2 decimals."""


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero (0.005 → 0.01)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> Decimal:
    """A quantity or a percentage without trailing zeros, never in exponent form (10.500 → 10.5)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
) -> LineAmounts:
    """net = qty × price × (1 − discount/100), rounded; tax = net × rate/100, rounded."""
    with localcontext(EXACT):
        exact_net = quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED
        if abs(exact_net) * (HUNDRED + abs(tax_rate)) / HUNDRED > MAX_AMOUNT:
            raise AmountTooLarge("the line amount is too large")
        net = round_money(exact_net)
        tax = round_money(net * tax_rate / HUNDRED)
        gross = net + tax
    if abs(gross) > MAX_AMOUNT:
        raise AmountTooLarge("the line amount is too large")
    return LineAmounts(net=net, tax=tax, gross=gross)


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: list[TaxLine] = field(default_factory=list)


def totals(lines: Iterable[tuple[Decimal, LineAmounts]]) -> Totals:
    """Sum the already rounded line amounts; one tax line per rate, highest rate first.

    Each item is `(tax_rate, amounts)`. Summing rounded line amounts (rather than rounding a
    per-rate total) keeps the document's lines and its totals adding up to the cent.
    """
    net, tax = ZERO, ZERO  # sums of 2-decimal amounts below 10**16: exact in any context
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for rate, amounts in lines:
        net += amounts.net
        tax += amounts.tax
        base, amount = by_rate.get(rate, (ZERO, ZERO))
        by_rate[rate] = (base + amounts.net, amount + amounts.tax)
    gross = net + tax
    if max(abs(net), abs(tax), abs(gross)) > MAX_AMOUNT:
        raise AmountTooLarge(f"the order total {gross} is too large")
    taxes = [
        TaxLine(rate=plain(rate), base=base, amount=amount)
        for rate, (base, amount) in sorted(by_rate.items(), key=lambda item: -item[0])
    ]
    return Totals(net=net, tax=tax, gross=gross, taxes=taxes)
