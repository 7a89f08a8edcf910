"""Line amounts, tax and document totals: Decimal arithmetic with one rounding rule.

The rule (docs/adr/0005-one-rounding-rule.md): each line's net is rounded half up (away from
zero) to the currency's minor unit, its tax is computed on that rounded net and rounded the same
way, and every total is the plain sum of the rounded line amounts. So the lines, the tax
breakdown and the totals printed on a document always add up, whoever computes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import lru_cache

from pricing.currency import amount_decimals

CENT = Decimal("0.01")  # the minor unit of an amount without a currency
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# The largest amount the suite stores: 16 digits before the point, as NUMERIC(20, 4) holds them.
MAX_AMOUNT = Decimal("9999999999999999.99")

# Room for quantity × price × percentage without any silent rounding (the default context keeps
# only 28 significant digits; a 15-digit quantity times an 18-digit price needs 33).
EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


class AmountTooLarge(ValueError):
    """A computed amount does not fit in 16 digits before the point."""


def round_money(value: Decimal, currency: str | None = None) -> Decimal:
    """Round half away from zero to the currency's minor unit (0.005 → 0.01; JPY 0.5 → 1;
    BHD 1.2345 → 1.235), expressed with exactly that many decimals; without a currency, to
    the cent.
    """
    return value.quantize(_minor_unit(currency), rounding=ROUND_HALF_UP, context=EXACT)


@lru_cache(maxsize=256)
def _minor_unit(currency: str | None) -> Decimal:
    """The currency's smallest amount (EUR 0.01, JPY 1, BHD 0.001)."""
    return Decimal(1).scaleb(-amount_decimals(currency))


def in_currency(value: Decimal, currency: str | None = None) -> Decimal:
    """A stored amount or price as the currency writes it: at least its minor unit's decimals,
    no trailing zeros beyond them (NUMERIC(20, 4) answers EUR 12.5 as 12.5000: 12.50; JPY
    1235.0000: 1235; a price of EUR 0.1250: 0.125). Never rounds."""
    decimals = amount_decimals(currency)
    exponent = value.normalize(EXACT).as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        return value.normalize(EXACT)
    return value.quantize(_minor_unit(currency), context=EXACT)


def check_amount(value: Decimal, message: str) -> Decimal:
    """`value` itself if the storage can hold it; else raises `AmountTooLarge(message)`."""
    if abs(value) > MAX_AMOUNT:
        raise AmountTooLarge(message)
    return value


def plain(value: Decimal) -> Decimal:
    """A quantity or a percentage without trailing zeros, never in exponent form (10.500 → 10.5)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_LINE_TOO_LARGE = "the line amount is too large"


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_rate: Decimal,
    *,
    currency: str | None = None,
) -> LineAmounts:
    """net = qty × price × (1 − discount/100), rounded; tax = net × rate/100, rounded.

    The tax is computed on the rounded net. Raises `AmountTooLarge` when the line cannot be
    stored.
    """
    with localcontext(EXACT):
        exact_net = quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED
        # Refuse before rounding: quantizing a huge value would fail with an obscure error.
        check_amount(abs(exact_net) * (HUNDRED + abs(tax_rate)) / HUNDRED, _LINE_TOO_LARGE)
        net = round_money(exact_net, currency)
        tax = round_money(net * tax_rate / HUNDRED, currency)
        gross = check_amount(net + tax, _LINE_TOO_LARGE)
    return LineAmounts(net=net, tax=tax, gross=gross)


@dataclass(frozen=True)
class TaxLine:
    """One rate of a tax breakdown: the sum of its lines' nets (base) and of their taxes."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: tuple[TaxLine, ...] = ()


def tax_breakdown(
    lines: Iterable[tuple[Decimal, LineAmounts]], *, currency: str | None = None
) -> tuple[TaxLine, ...]:
    """One tax line per rate, ascending by rate, from `(tax_rate, amounts)` pairs.

    21 and 21.00 are one rate (the first spelling is kept). Each rate's tax is the sum of the
    rounded line taxes, not its base taxed at once: the breakdown adds up to the lines above it.
    """
    rates: dict[Decimal, Decimal] = {}  # by value → the first spelling
    bases: dict[Decimal, Decimal] = {}
    amounts: dict[Decimal, Decimal] = {}
    with localcontext(EXACT):
        for rate, line in lines:
            key = rate.normalize()
            rates.setdefault(key, rate)
            bases[key] = bases.get(key, ZERO) + line.net
            amounts[key] = amounts.get(key, ZERO) + line.tax
    return tuple(
        TaxLine(
            rate=rates[key],
            base=round_money(bases[key], currency),
            amount=round_money(amounts[key], currency),
        )
        for key in sorted(bases)
    )


def document_totals(
    lines: Iterable[tuple[Decimal, LineAmounts]],
    *,
    subject: str = "order",
    currency: str | None = None,
) -> Totals:
    """Net, tax and gross of a document as sums of its rounded lines, with the tax breakdown,
    in `currency`'s minor unit (a no-op on sums of amounts already rounded to it).

    Each item is `(tax_rate, amounts)`. Raises `AmountTooLarge` when a total cannot be stored.
    """
    items = list(lines)
    with localcontext(EXACT):
        net = round_money(sum((line.net for _, line in items), ZERO), currency)
        tax = round_money(sum((line.tax for _, line in items), ZERO), currency)
        gross = net + tax
    for value in (net, tax, gross):
        check_amount(value, f"the {subject} total {gross} is too large")
    return Totals(net=net, tax=tax, gross=gross, taxes=tax_breakdown(items, currency=currency))
