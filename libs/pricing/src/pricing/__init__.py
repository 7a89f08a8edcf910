"""Money arithmetic of the sales order suite, in one place for orders, billing and documents.

Line net, discount, tax per line and per rate, document totals, the rounding rule (each line
rounded half up to the currency's minor unit, then summed) and ISO 4217 currencies.
The address and payment terms of a sales document (`pricing.sales`) are shared here too.
"""

from pricing.amounts import (
    CENT,
    EXACT,
    HUNDRED,
    MAX_AMOUNT,
    ZERO,
    AmountTooLarge,
    LineAmounts,
    TaxLine,
    Totals,
    check_amount,
    document_totals,
    in_currency,
    line_amounts,
    plain,
    round_money,
    tax_breakdown,
)
from pricing.currency import (
    DEFAULT_DECIMALS,
    STORAGE_DECIMALS,
    UnknownCurrency,
    amount_decimals,
    is_currency,
    minor_units,
    validate_currency,
)
from pricing.sales import Address, PaymentTerms, PricedLine, due_date

__all__ = [
    "CENT",
    "DEFAULT_DECIMALS",
    "EXACT",
    "HUNDRED",
    "MAX_AMOUNT",
    "STORAGE_DECIMALS",
    "ZERO",
    "Address",
    "AmountTooLarge",
    "LineAmounts",
    "PaymentTerms",
    "PricedLine",
    "TaxLine",
    "Totals",
    "UnknownCurrency",
    "amount_decimals",
    "check_amount",
    "document_totals",
    "due_date",
    "in_currency",
    "is_currency",
    "line_amounts",
    "minor_units",
    "plain",
    "round_money",
    "tax_breakdown",
    "validate_currency",
]
