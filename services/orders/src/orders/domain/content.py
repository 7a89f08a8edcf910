"""What orders and quotes are made of: lines, addresses, payment terms, recurrence and the
CRM opportunity; a quote's content becomes an order's on conversion, field by field."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from orders.domain.errors import (
    InvalidOrder,
)
from orders.domain.totals import ZERO, LineAmounts, in_currency, line_amounts, totals
from pricing.sales import Address as Address  # the suite's one address and payment terms
from pricing.sales import PaymentTerms as PaymentTerms

MAX_LINES = 500


class LineKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


DEFAULT_PAYMENT_TERMS = PaymentTerms()


class RecurrenceFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class Recurring:
    """Bill the order again every period from `start`, until `end` (open-ended without it)."""

    frequency: RecurrenceFrequency
    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise InvalidOrder("recurring.end", "must be after the start")


@dataclass(frozen=True)
class OpportunityRef:
    """The CRM opportunity an order or quote belongs to (an id from the CRM, and its name)."""

    id: str
    name: str


@dataclass
class Line:
    line_no: int
    sku: str
    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal = ZERO
    shipped_quantity: Decimal = ZERO
    # What an order closed short no longer delivers (the unshipped remainder it cancelled).
    cancelled_quantity: Decimal = ZERO
    # What came back from the customer and was received by the warehouse (inventory's returns).
    returned_quantity: Decimal = ZERO
    # When the customer asked for this line and when it was promised (None: the order's dates).
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None
    # The order's (or quote's) currency: its amounts are rounded to the currency's minor unit.
    # Its owner's, not part of what the line is (lines compare without it).
    currency: str | None = field(default=None, compare=False)

    @property
    def due_quantity(self) -> Decimal:
        """What the line delivers and bills: the quantity ordered less what was cancelled."""
        return self.quantity - self.cancelled_quantity

    @property
    def amounts(self) -> LineAmounts:
        # An order's answer asks each line for its amounts several times (the line, the totals,
        # what is left to invoice): worked out again only when an input is another object. By
        # identity, not equality: equal Decimals can differ in sign (`-0`) and give other
        # amounts. Kept outside the dataclass fields, so copies and comparisons ignore it.
        inputs = (
            self.quantity,
            self.cancelled_quantity,
            self.unit_price,
            self.discount_percent,
            self.tax_rate,
            self.currency,
        )
        memo: tuple[tuple[object, ...], LineAmounts] | None = self.__dict__.get(_AMOUNTS)
        if memo is not None and all(map(operator.is_, memo[0], inputs)):
            return memo[1]
        amounts = line_amounts(
            self.due_quantity,
            self.unit_price,
            self.discount_percent,
            self.tax_rate,
            currency=self.currency,
        )
        self.__dict__[_AMOUNTS] = (inputs, amounts)
        return amounts


_AMOUNTS = "_amounts_of_inputs"  # Line's memo: (its inputs, their amounts)


def in_currency_of(lines: Iterable[Line], currency: str) -> list[Line]:
    """The lines priced in `currency` (their owner's), unit prices written in its form."""
    return [
        replace(line, currency=currency, unit_price=in_currency(line.unit_price, currency))
        for line in lines
    ]


@dataclass(frozen=True)
class LineInput:
    """A line as a person or another system gives it (amounts are always computed here).

    Without a unit price (None) the catalogue prices it before the lines are built; without a
    tax rate (None) the rate of its item's tax category is taken (ORDERS_TAX_RATES)."""

    sku: str
    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal | None
    tax_rate: Decimal | None
    discount_percent: Decimal = ZERO
    requested_delivery_date: date | None = None
    promised_delivery_date: date | None = None


# The delivery dates an order (header) and each of its lines may carry.
DELIVERY_DATE_FIELDS = ("requested_delivery_date", "promised_delivery_date")


def check_delivery_dates(
    order_date: date,
    dates: Mapping[str, date | None],
    lines: Sequence[Line],
    field_prefix: str = "lines",
) -> None:
    """Delivery dates are on or after the order date: the header's (`dates`) and each line's
    (InvalidOrder naming the first that is not, e.g. `lines.0.promised_delivery_date`).
    A promise later than what the customer requested is allowed: that is what it records."""
    found = [(name, value) for name, value in dates.items()]
    for index, line in enumerate(lines):
        found += [
            (f"{field_prefix}.{index}.{name}", getattr(line, name)) for name in DELIVERY_DATE_FIELDS
        ]
    for name, value in found:
        if value is not None and value < order_date:
            raise InvalidOrder(
                name, f"must not be before the order date ({order_date.isoformat()})"
            )


# What an order and a quote have in common (besides their lines): a quote's content becomes an
# order's on conversion, field by field.
CONTENT_FIELDS = (
    "customer_id",
    "currency",
    "contact",
    "customer_reference",
    "description",
    "opening_text",
    "closing_text",
    "payment_terms",
    "billing_address",
    "shipping_address",
    "opportunity",
    "template_id",
    "recurring",
)


def build_lines(
    inputs: Sequence[LineInput], field_prefix: str = "lines", *, currency: str | None = None
) -> list[Line]:
    """Number the lines from 1 and check each one's content and its amounts in `currency`."""
    if not 1 <= len(inputs) <= MAX_LINES:
        raise InvalidOrder(field_prefix, f"an order has 1 to {MAX_LINES} lines")
    lines = []
    for index, given in enumerate(inputs):
        where = f"{field_prefix}.{index}"
        if given.quantity <= 0:
            raise InvalidOrder(f"{where}.quantity", "must be greater than 0")
        if given.unit_price is None:
            raise InvalidOrder(f"{where}.unit_price", "required: the catalogue has no price")
        if given.unit_price < 0:
            raise InvalidOrder(f"{where}.unit_price", "must not be negative")
        if not 0 <= given.discount_percent <= 100:
            raise InvalidOrder(f"{where}.discount_percent", "must be between 0 and 100")
        if given.tax_rate is None:
            raise InvalidOrder(f"{where}.tax_rate", "required: no tax rate for the item")
        if not 0 <= given.tax_rate <= 100:
            raise InvalidOrder(f"{where}.tax_rate", "must be between 0 and 100")
        line = Line(
            line_no=index + 1,
            sku=given.sku,
            kind=given.kind,
            description=given.description,
            quantity=given.quantity,
            unit_price=given.unit_price,
            discount_percent=given.discount_percent,
            tax_rate=given.tax_rate,
            requested_delivery_date=given.requested_delivery_date,
            promised_delivery_date=given.promised_delivery_date,
            currency=currency,
        )
        try:
            line.amounts  # noqa: B018 - computing is the check
        except ValueError as exc:
            raise InvalidOrder(where, str(exc)) from None
        lines.append(line)
    try:
        totals(((line.tax_rate, line.amounts) for line in lines), currency=currency)
    except ValueError as exc:
        raise InvalidOrder(field_prefix, str(exc)) from None
    return lines


def content_of(source: object, *, blank: frozenset[str] = frozenset()) -> dict[str, object]:
    """The CONTENT_FIELDS of an order or a quote, with those in `blank` left empty."""
    return {name: None if name in blank else getattr(source, name) for name in CONTENT_FIELDS}


def line_inputs_of(lines: Iterable[Line], *, dates: bool = True) -> list[LineInput]:
    """Lines as given again (for a copy or a conversion): same items, prices and discounts,
    and their delivery dates unless `dates` is false (a copy is delivered when it says)."""
    return [
        LineInput(
            sku=line.sku,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            discount_percent=line.discount_percent,
            requested_delivery_date=line.requested_delivery_date if dates else None,
            promised_delivery_date=line.promised_delivery_date if dates else None,
        )
        for line in lines
    ]
