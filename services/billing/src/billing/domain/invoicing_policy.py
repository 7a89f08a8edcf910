"""What an order may be invoiced for, by its invoicing policy: pure Python.

- `on_completion`: everything when the order is completed (the suite's first behaviour);
- `on_delivery`: each shipment invoices the quantities shipped; completion invoices the rest
  (services, and anything not shipped but completed);
- `manual`: nothing by itself (accounting invoices by hand).

Whatever the policy, a line is never invoiced beyond its ordered quantity, and the invoice
that takes a line's last quantity takes the rest of its amounts (the line's amounts less what
earlier invoices took), so the invoices of an order add up exactly to the order, whatever the
rounding of partial quantities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pricing import ZERO, line_amounts, round_money
from pricing.sales import PricedLine


class InvoicingPolicy(StrEnum):
    ON_COMPLETION = "on_completion"
    ON_DELIVERY = "on_delivery"
    MANUAL = "manual"


class InvoicingState(StrEnum):
    NOT_INVOICED = "not_invoiced"
    PARTIALLY_INVOICED = "partially_invoiced"
    INVOICED = "invoiced"


@dataclass(frozen=True)
class Invoiced:
    """How much of one order line earlier invoices took."""

    quantity: Decimal = Decimal(0)
    net: Decimal = ZERO
    tax: Decimal = ZERO


def shipped_per_line(
    lines: Sequence[PricedLine], shipped_by_sku: Mapping[str, Decimal]
) -> dict[int, Decimal]:
    """The shipped quantity of each line: a SKU's shipped total filled into its lines in line
    order, each up to its ordered quantity (the last one takes any excess: the truth)."""
    left = dict(shipped_by_sku)
    shipped: dict[int, Decimal] = {}
    for line in lines:
        take = min(left.get(line.sku, Decimal(0)), line.quantity)
        shipped[line.line_no] = take
        left[line.sku] = left.get(line.sku, Decimal(0)) - take
    return shipped


def shipped_not_invoiced(
    shipped: Mapping[int, Decimal], invoiced: Mapping[int, Invoiced]
) -> dict[int, Decimal]:
    """Per line, what shipped beyond what its invoices took (never below zero)."""
    return {
        line_no: max(quantity - invoiced.get(line_no, Invoiced()).quantity, Decimal(0))
        for line_no, quantity in shipped.items()
    }


def invoice_lines(
    lines: Sequence[PricedLine],
    invoiced: Mapping[int, Invoiced],
    quantities: Mapping[int, Decimal],
    *,
    currency: str,
) -> list[PricedLine]:
    """The lines of an invoice for `quantities` (by line number) of the order's `lines`.

    Each quantity is capped at what the line has not had invoiced yet; a line with nothing
    left is left out. A partial quantity is priced by `pricing`; the last quantity of a line
    takes the rest of its amounts.
    """
    result: list[PricedLine] = []
    for line in lines:
        before = invoiced.get(line.line_no, Invoiced())
        remaining = line.quantity - before.quantity
        quantity = min(quantities.get(line.line_no, Decimal(0)), remaining)
        if quantity <= 0:
            continue
        if quantity == remaining:
            net = round_money(line.net_amount - before.net, currency)
            tax = round_money(line.tax_amount - before.tax, currency)
        else:
            amounts = line_amounts(
                quantity, line.unit_price, line.discount_percent, line.tax_rate, currency=currency
            )
            net, tax = amounts.net, amounts.tax
        result.append(
            PricedLine(
                line_no=line.line_no,
                sku=line.sku,
                description=line.description,
                quantity=quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                net_amount=net,
                tax_amount=tax,
                gross_amount=net + tax,
            )
        )
    return result


def remaining(lines: Iterable[PricedLine], invoiced: Mapping[int, Invoiced]) -> dict[int, Decimal]:
    """What each line has not had invoiced yet."""
    return {
        line.line_no: line.quantity - invoiced.get(line.line_no, Invoiced()).quantity
        for line in lines
    }


def state_of(order_gross: Decimal, invoiced_gross: Decimal, any_invoice: bool) -> InvoicingState:
    if not any_invoice:
        return InvoicingState.NOT_INVOICED
    if invoiced_gross < order_gross:
        return InvoicingState.PARTIALLY_INVOICED
    return InvoicingState.INVOICED
