"""Down payments: pure Python, every amount through `pricing`.

A down payment invoices part of an order before it is delivered: a percentage of it, or a fixed
gross amount. Its invoice has one line per tax rate of the order (quantity 1, the rate's share
of the order's net as the price, taxed at that rate), so the tax the customer pays in advance is
the tax of what they will receive. The order's later invoices deduct what is left of its down
payments as negative lines, one per rate, as much as each invoice's own total allows: an invoice
never goes below zero, and the rest is deducted on the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from pricing import EXACT, HUNDRED, TaxLine, amount_decimals, line_amounts, round_money
from pricing.sales import PricedLine

SKU = "DOWN-PAYMENT"


class DownPaymentRefused(ValueError):
    """The down payment asked for cannot be invoiced (422 naming `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RateLeft:
    """What is left to deduct of an order's down payments at one tax rate."""

    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def _minor(currency: str) -> Decimal:
    return Decimal(1).scaleb(-amount_decimals(currency))


def _line(line_no: int, description: str, net: Decimal, rate: Decimal, currency: str) -> PricedLine:
    return PricedLine.priced(
        line_no=line_no,
        sku=SKU,
        description=description,
        quantity=Decimal(1),
        unit_price=net,
        discount_percent=Decimal(0),
        tax_rate=rate,
        currency=currency,
    )


def _closest_net(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The net whose gross (net + its tax, rounded by the one rule) is `gross`, else the
    largest one below it: the one rounding rule cannot reach every gross."""
    unit = _minor(currency)
    guess = round_money(gross * HUNDRED / (HUNDRED + rate), currency)
    best: Decimal | None = None
    for step in range(-3, 4):
        net = guess + step * unit
        got = line_amounts(Decimal(1), net, Decimal(0), rate, currency=currency).gross
        if got == gross:
            return net
        if got < gross and (best is None or net > best):
            best = net
    return best if best is not None else guess - 3 * unit


def down_payment_lines(
    taxes: Sequence[TaxLine],
    order_gross: Decimal,
    *,
    currency: str,
    description: str,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
) -> list[PricedLine]:
    """The lines of a down-payment invoice: `percent` of each tax rate's base, or the share of
    a fixed gross `amount` (its gross is exactly `amount` wherever the rounding rule allows).
    Rates without a base are left out."""
    with_base = [tax for tax in taxes if tax.base != 0]
    if not with_base or order_gross <= 0:
        raise DownPaymentRefused("body", "the order has nothing to pay")
    with localcontext(EXACT):
        if percent is not None:
            share = percent / HUNDRED
        else:
            assert amount is not None
            share = amount / order_gross
    nets = [round_money(tax.base * share, currency) for tax in with_base]
    lines = [
        _line(no, description, net, tax.rate, currency)
        for no, (net, tax) in enumerate(zip(nets, with_base, strict=True), start=1)
    ]
    if amount is not None:  # hit the amount asked for on the largest rate's line
        largest = max(range(len(lines)), key=lambda i: abs(with_base[i].base))
        others = sum(
            (line.gross_amount for i, line in enumerate(lines) if i != largest), Decimal(0)
        )
        rate = with_base[largest].rate
        lines[largest] = _line(
            largest + 1, description, _closest_net(amount - others, rate, currency), rate, currency
        )
    return [line for line in lines if line.net_amount != 0 or line.tax_amount != 0]


def left_to_deduct(
    marked: Iterable[tuple[Decimal, Decimal, Decimal]],
) -> list[RateLeft]:
    """Per tax rate, the sum of the order's down-payment lines and of the (negative) lines that
    deducted them or credited them back: what is left to deduct. `marked` holds (rate, net, tax)
    of each such line. A rate credited back beyond what was left to deduct leaves nothing."""
    per_rate: dict[Decimal, tuple[Decimal, Decimal, Decimal]] = {}
    for rate, net, tax in marked:
        key = rate.normalize()
        first, was_net, was_tax = per_rate.get(key, (rate, Decimal(0), Decimal(0)))
        per_rate[key] = (first, was_net + net, was_tax + tax)
    return [
        RateLeft(rate=rate, net=net, tax=tax)
        for key, (rate, net, tax) in sorted(per_rate.items())
        if net + tax > 0
    ]


def deduction_lines(
    left: Sequence[RateLeft],
    invoice_gross: Decimal,
    *,
    first_line_no: int,
    currency: str,
    description: str,
) -> list[PricedLine]:
    """Negative lines deducting what is `left` of the down payments from an invoice of
    `invoice_gross`: all of it when it fits, else a share of each rate that brings the invoice
    to zero at most (never below). Nothing when the invoice has nothing to deduct from."""
    total = sum((rate.gross for rate in left), Decimal(0))
    if total <= 0 or invoice_gross <= 0:
        return []
    if total <= invoice_gross:
        parts = [(rate.rate, rate.net, rate.tax) for rate in left]
    else:
        with localcontext(EXACT):
            share = invoice_gross / total
        parts = [
            (
                rate.rate,
                round_money(rate.net * share, currency),
                round_money(rate.tax * share, currency),
            )
            for rate in left
        ]
        unit = _minor(currency)
        largest = max(range(len(parts)), key=lambda i: parts[i][1])
        while sum(net + tax for _, net, tax in parts) > invoice_gross:
            rate, net, tax = parts[largest]
            parts[largest] = (rate, net - unit, tax)
    return [
        PricedLine(
            line_no=first_line_no + index,
            sku=SKU,
            description=description,
            quantity=Decimal(1),
            unit_price=-net,
            discount_percent=Decimal(0),
            tax_rate=rate,
            net_amount=-net,
            tax_amount=-tax,
            gross_amount=-(net + tax),
        )
        for index, (rate, net, tax) in enumerate(parts)
        if net != 0 or tax != 0
    ]
