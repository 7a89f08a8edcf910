"""Credit notes: an issued invoice is never edited; a credit note corrects it.

A credit note credits part of an invoice's lines (a quantity of each; the note that takes a
line's last quantity takes the rest of its amounts, as partial invoices do) or an amount, with
a reason. Its number comes from its own gapless series, `CN-<year>-<6 digits>`.

It takes off what the invoice still owes; what it credits beyond that (the invoice was paid
already) becomes the customer's credit (ADR 10: a payment of its own, naming the note). The
credit notes of an invoice never add up to more than its total; when they add up to all of it
the invoice is `credited`.

Pure Python; every amount comes from the suite's `pricing` module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.domain.invoicing_policy import Invoiced, invoice_lines
from billing.domain.model import (
    ZERO,
    Address,
    BillingError,
    Customer,
    Invoice,
    InvoiceLine,
    Totals,
    money,
)
from pricing import AmountTooLarge
from servicekit.numbers import format_yearly_number

# The SKU of a line crediting an amount rather than part of an invoice line.
AMOUNT_SKU = "CREDIT"


class CreditRefused(BillingError):
    """More than the invoice (or one of its lines) has left to credit: a conflict (409)."""


class InvalidCredit(BillingError, ValueError):
    """The request names what the invoice does not have (a line, a tax rate): 422 on `field`."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def credit_note_number(year: int, sequence: int) -> str:
    """`CN-<year>-<6 digits>`: the `sequence`-th credit note issued in `year` (gapless)."""
    return format_yearly_number("CN", year, sequence)


@dataclass(frozen=True)
class CreditNoteLine(InvoiceLine):
    """A credited line; `invoice_line_no` names the invoice line (None for an amount)."""

    invoice_line_no: int | None = None


@dataclass(frozen=True)
class ReturnRef:
    """The return (inventory) a credit note credits."""

    return_id: str
    number: str


@dataclass
class CreditNote:
    id: str
    number: str
    invoice_id: str
    invoice_number: str
    order_id: str
    order_number: str
    customer: Customer
    currency: str
    issue_date: date
    reason: str
    lines: list[CreditNoteLine]
    totals: Totals
    applied_amount: Decimal = ZERO
    customer_credit: Decimal = ZERO
    billing_address: Address | None = None
    returned: ReturnRef | None = None
    credit_payment_id: str | None = None  # the customer payment holding `customer_credit`
    created_at: datetime | None = None


def line_credits(
    invoice: Invoice,
    credited: Mapping[int, Invoiced],
    quantities: Sequence[tuple[int, Decimal]],
) -> list[CreditNoteLine]:
    """The lines crediting `quantities` (invoice line number, quantity) of `invoice`'s lines,
    given what its earlier credit notes took of each (`credited`).

    Raises `InvalidCredit` for a line the invoice does not have or named twice, and
    `CreditRefused` above what a line has left to credit.
    """
    by_no = {line.line_no: line for line in invoice.lines}
    wanted: dict[int, Decimal] = {}
    for index, (line_no, quantity) in enumerate(quantities):
        where = f"lines.{index}.line_no"
        line = by_no.get(line_no)
        if line is None:
            raise InvalidCredit(f"invoice {invoice.number} has no line {line_no}", field=where)
        if line_no in wanted:
            raise InvalidCredit(f"line {line_no} is named twice", field=where)
        if line.gross_amount < 0:
            raise InvalidCredit(
                f"line {line_no} is a deduction (a down payment), not something to credit",
                field=where,
            )
        left = line.quantity - credited.get(line_no, Invoiced()).quantity
        if quantity > left:
            raise CreditRefused(
                f"crediting {quantity} of line {line_no} ({line.sku}) of invoice "
                f"{invoice.number} exceeds the {left} not credited yet"
            )
        wanted[line_no] = quantity
    priced = invoice_lines(invoice.lines, credited, wanted, currency=invoice.currency)
    return [
        CreditNoteLine(
            line_no=position,
            invoice_line_no=line.line_no,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            gross_amount=line.gross_amount,
        )
        for position, line in enumerate(priced, start=1)
    ]


def amount_credit(
    invoice: Invoice, amount: Decimal, tax_rate: Decimal | None, description: str
) -> CreditNoteLine:
    """One line crediting `amount` (tax included) of `invoice` at one of its tax rates: the
    invoice's only rate, or `tax_rate`. The net is the amount less the tax it includes, both
    rounded to the currency's minor unit.

    Raises `InvalidCredit` for an amount that is not positive in whole minor units, and for a
    rate the invoice does not have (or none given when it has several).
    """
    if amount <= 0 or money(amount, invoice.currency) != amount:
        raise InvalidCredit(
            f"the amount must be positive, in whole minor units of {invoice.currency}",
            field="amount",
        )
    rates = sorted({line.tax_rate.normalize() for line in invoice.lines})
    if tax_rate is None:
        if len(rates) != 1:
            raise InvalidCredit(
                f"invoice {invoice.number} has several tax rates "
                f"({', '.join(str(r) for r in rates)}): name the credit's tax_rate",
                field="tax_rate",
            )
        rate = rates[0]
    else:
        rate = tax_rate.normalize()
        if rate not in rates:
            raise InvalidCredit(
                f"invoice {invoice.number} has no line taxed at {tax_rate} %", field="tax_rate"
            )
    net = money(amount * 100 / (100 + rate), invoice.currency)
    return CreditNoteLine(
        line_no=1,
        sku=AMOUNT_SKU,
        description=description,
        quantity=Decimal(1),
        unit_price=net,
        discount_percent=Decimal(0),
        tax_rate=rate,
        net_amount=net,
        tax_amount=money(amount - net, invoice.currency),
        gross_amount=amount,
    )


def credit_totals(lines: Sequence[CreditNoteLine], currency: str) -> Totals:
    if not lines:
        raise InvalidCredit("a credit note credits at least one line or an amount", field="lines")
    try:
        totals = Totals.of(lines, currency=currency)
    except AmountTooLarge as exc:
        raise InvalidCredit(str(exc), field="lines") from None
    if totals.gross <= 0:
        raise InvalidCredit("a credit note credits more than nothing", field="lines")
    return totals


@dataclass(frozen=True)
class Applied:
    """How a credit note of `gross` fell: on the invoice's open amount, and the excess that
    became the customer's credit."""

    to_invoice: Decimal
    to_credit: Decimal


def apply_to(invoice: Invoice, gross: Decimal) -> Applied:
    """Credit `gross` on `invoice`: it takes off the open amount first, the rest becomes
    customer credit; the invoice's status follows.

    Raises `CreditRefused` (the invoice unchanged) when its credit notes would add up to more
    than its total.
    """
    currency = invoice.currency
    left = money(invoice.totals.gross - invoice.credited_total, currency)
    if gross > left:
        raise CreditRefused(
            f"crediting {gross} {currency} exceeds the {left} {currency} of invoice "
            f"{invoice.number} not credited yet (total {invoice.totals.gross} {currency})"
        )
    to_invoice = min(gross, invoice.balance)
    invoice.credited_total = money(invoice.credited_total + gross, currency)
    invoice.credit_applied = money(invoice.credit_applied + to_invoice, currency)
    invoice.status = invoice.settled_status()
    return Applied(to_invoice=to_invoice, to_credit=money(gross - to_invoice, currency))


@dataclass(frozen=True)
class Returned:
    sku: str
    quantity: Decimal


@dataclass
class ReturnPlan:
    """Which quantities of which invoices' lines a return credits (invoice id -> lines)."""

    per_invoice: dict[str, list[tuple[int, Decimal]]] = field(default_factory=dict)


def plan_return(
    invoices: Sequence[Invoice],
    credited: Mapping[str, Mapping[int, Invoiced]],
    returned: Sequence[Returned],
) -> ReturnPlan:
    """Spread the returned quantities of each SKU over the invoices' lines of that SKU (oldest
    invoice first, each line up to what it has not had credited).

    Raises `CreditRefused` naming the SKU when more came back than was invoiced and not
    credited yet.
    """
    plan = ReturnPlan()
    taken: dict[tuple[str, int], Decimal] = {}
    ordered = sorted(invoices, key=lambda i: (i.issue_date, i.number))
    for item in returned:
        left = item.quantity
        for invoice in ordered:
            for line in invoice.lines:
                if left <= 0:
                    break
                if line.sku != item.sku or line.gross_amount <= 0:
                    continue
                key = (invoice.id, line.line_no)
                before = credited.get(invoice.id, {}).get(line.line_no, Invoiced()).quantity
                free = line.quantity - before - taken.get(key, Decimal(0))
                take = min(free, left)
                if take <= 0:
                    continue
                taken[key] = taken.get(key, Decimal(0)) + take
                left -= take
        if left > 0:
            raise CreditRefused(
                f"{item.quantity} of {item.sku} came back, but only "
                f"{item.quantity - left} of it was invoiced and not credited yet"
            )
    for (invoice_id, line_no), quantity in taken.items():
        plan.per_invoice.setdefault(invoice_id, []).append((line_no, quantity))
    return plan
