"""Columns of the numbers on a sales document, the same in every service that stores them.

Orders stores what billing later reconciles to the cent, so an amount, a quantity or a
percentage must hold the same digits in both databases, and a priced line or a document's
totals the same columns.
"""

from typing import Any

from sqlalchemy import Column, Numeric

# 16 digits before the point (`pricing.MAX_AMOUNT`), 4 after: the largest ISO 4217 minor unit
# (`pricing.STORAGE_DECIMALS`); each amount is rounded to its currency's own.
MONEY = Numeric(20, 4)
QUANTITY = Numeric(15, 3)
PERCENT = Numeric(7, 4)


def line_amount_columns() -> list[Column[Any]]:
    """A priced line's numbers (`pricing.sales.PricedLine`): quantity, unit price, discount and
    tax rate, and the net, tax and gross amounts. New columns each call, for one table."""
    return [
        Column("quantity", QUANTITY, nullable=False),
        Column("unit_price", MONEY, nullable=False),
        Column("discount_percent", PERCENT, nullable=False),
        Column("tax_rate", PERCENT, nullable=False),
        Column("net_amount", MONEY, nullable=False),
        Column("tax_amount", MONEY, nullable=False),
        Column("gross_amount", MONEY, nullable=False),
    ]


def totals_columns() -> list[Column[Any]]:
    """A document's totals: `net_total`, `tax_total`, `gross_total`."""
    return [
        Column("net_total", MONEY, nullable=False),
        Column("tax_total", MONEY, nullable=False),
        Column("gross_total", MONEY, nullable=False),
    ]


def tax_breakdown_columns() -> list[Column[Any]]:
    """One tax rate of a document's breakdown: `rate`, the `base` taxed at it, the `amount`."""
    return [
        Column("rate", PERCENT, nullable=False),
        Column("base", MONEY, nullable=False),
        Column("amount", MONEY, nullable=False),
    ]
