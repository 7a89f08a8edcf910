"""The hand-over to bookkeeping: every invoice line, credit note line, payment, reversal and
refund of a period as rows of one documented column set. Pure Python.

Signs are those of the customer's account: what raises what customers owe is positive
(invoice lines, payment reversals, refunds), what lowers it negative (credit note lines,
payments). So the invoice and credit note rows of a period add up to what was invoiced less
what was credited, and all rows to the change of the receivables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.model import BillingError

COLUMNS = (
    "date",
    "type",
    "document_id",
    "number",
    "order_id",
    "order_number",
    "customer_id",
    "customer_name",
    "currency",
    "line_no",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "method",
    "reference",
)

MAX_DAYS = 366


class InvalidPeriod(BillingError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_period(start: date, end: date) -> None:
    """A period runs forwards and spans at most a year (366 days)."""
    if start > end:
        raise InvalidPeriod("must not be after `to`", "query.from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidPeriod(f"the period may span at most {MAX_DAYS} days", "query.to")


@dataclass(frozen=True)
class LedgerRow:
    date: date
    type: str  # invoice | payment | payment_reversal | refund
    document_id: str
    number: str | None
    order_id: str | None
    order_number: str | None
    customer_id: str
    customer_name: str | None
    currency: str
    line_no: int | None
    sku: str | None
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    discount_percent: Decimal | None
    tax_rate: Decimal | None
    net_amount: Decimal | None
    tax_amount: Decimal | None
    gross_amount: Decimal
    method: str | None
    reference: str | None

    def values(self) -> list[str]:
        """The row's cells, in `COLUMNS` order (empty where it has no value)."""
        return ["" if (value := getattr(self, name)) is None else str(value) for name in COLUMNS]
