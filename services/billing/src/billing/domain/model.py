"""Invoices and payments: pure Python, Decimal arithmetic with explicit half-up rounding.

Amounts follow one convention, everywhere in the suite's invoices:

- a line's net is `quantity * unit_price * (100 - discount_percent) / 100`, rounded to the cent;
- a line's tax is `net * tax_rate / 100`, rounded to the cent; its gross is `net + tax`;
- per tax rate, the base is the sum of the nets and the amount the sum of the line taxes;
- the invoice's net, tax and gross are the sums of its lines'.

So the lines, the tax breakdown and the totals printed on an invoice always add up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# Enough digits for quantity x price x percentage without a silent rounding before ours (the
# default context keeps 28 significant digits; 15-digit quantities times 18-digit prices need more).
EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> Decimal:
    """Round an amount to the cent, half up (0.005 → 0.01)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> Decimal:
    """A quantity or percentage without trailing zeros, never in exponent form (10.500 → 10.5)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class BillingError(Exception):
    """A business rule refused the operation; nothing was changed."""


class UninvoiceableOrder(BillingError):
    """The completed order cannot be invoiced as it is (its amounts do not add up, ...)."""


class PaymentRefused(BillingError):
    """The payment cannot be recorded on the invoice in its current state."""


class InvoiceAlreadyPaid(PaymentRefused):
    pass


class PaymentExceedsBalance(PaymentRefused):
    pass


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    # "credited" (credit notes) is not implemented yet.


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    OTHER = "other"


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class PaymentTerms:
    days: int = 30
    text: str | None = None

    def due_date(self, issue_date: date) -> date:
        return due_date(issue_date, self.days)


def due_date(issue_date: date, days: int) -> date:
    """The day an invoice issued on `issue_date` with `days` payment terms falls due."""
    if days < 0:
        raise ValueError("payment terms cannot be negative")
    return issue_date + timedelta(days=days)


def invoice_number(year: int, sequence: int) -> str:
    """`INV-<year>-<6 digits>`: the `sequence`-th invoice issued in `year` (gapless, from 1)."""
    if sequence < 1:
        raise ValueError("invoice sequence numbers start at 1")
    return f"INV-{year:04d}-{sequence:06d}"


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
) -> LineAmounts:
    """Net, tax and gross of one line, each rounded to the cent (half up)."""
    with localcontext(EXACT):
        net = money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)
        tax = money(net * tax_rate / HUNDRED)
        return LineAmounts(net=net, tax=tax, gross=net + tax)


@dataclass(frozen=True)
class InvoiceLine:
    line_no: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal

    @classmethod
    def priced(
        cls,
        *,
        line_no: int,
        sku: str,
        description: str,
        quantity: Decimal,
        unit_price: Decimal,
        discount_percent: Decimal,
        tax_rate: Decimal,
    ) -> InvoiceLine:
        """A line whose amounts are computed here from quantity, price, discount and rate."""
        amounts = line_amounts(quantity, unit_price, discount_percent, tax_rate)
        return cls(
            line_no=line_no,
            sku=sku,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount_percent,
            tax_rate=tax_rate,
            net_amount=amounts.net,
            tax_amount=amounts.tax,
            gross_amount=amounts.gross,
        )


@dataclass(frozen=True)
class TaxAmount:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    taxes: tuple[TaxAmount, ...] = ()

    @classmethod
    def of(cls, lines: Iterable[InvoiceLine]) -> Totals:
        """The totals of `lines` and their breakdown per tax rate (ascending rate)."""
        rates: dict[Decimal, Decimal] = {}  # 21 and 21.00 are one rate: keep the first spelling
        bases: dict[Decimal, Decimal] = {}
        amounts: dict[Decimal, Decimal] = {}
        net = tax = ZERO
        for line in lines:
            net += line.net_amount
            tax += line.tax_amount
            key = line.tax_rate.normalize()
            rates.setdefault(key, line.tax_rate)
            bases[key] = bases.get(key, ZERO) + line.net_amount
            amounts[key] = amounts.get(key, ZERO) + line.tax_amount
        taxes = tuple(
            TaxAmount(rate=rates[key], base=money(bases[key]), amount=money(amounts[key]))
            for key in sorted(bases)
        )
        return cls(net=money(net), tax=money(tax), gross=money(net + tax), taxes=taxes)


@dataclass(frozen=True)
class StatedLine:
    """A line as the order stated it: its inputs and the amounts the order computed."""

    line_no: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal


def reconcile(
    stated_lines: Sequence[StatedLine], stated: Totals
) -> tuple[list[InvoiceLine], Totals]:
    """Recompute every amount of an order and check it against what the order stated.

    Returns the invoice lines and totals; raises `UninvoiceableOrder` naming the first
    difference found.
    """
    if not stated_lines:
        raise UninvoiceableOrder("the order has no lines")
    seen: set[int] = set()
    lines: list[InvoiceLine] = []
    for given in stated_lines:
        if given.line_no in seen:
            raise UninvoiceableOrder(f"line number {given.line_no} appears twice")
        seen.add(given.line_no)
        line = InvoiceLine.priced(
            line_no=given.line_no,
            sku=given.sku,
            description=given.description,
            quantity=given.quantity,
            unit_price=given.unit_price,
            discount_percent=given.discount_percent,
            tax_rate=given.tax_rate,
        )
        for name in ("net_amount", "tax_amount", "gross_amount"):
            expected, actual = getattr(line, name), getattr(given, name)
            if expected != actual:
                raise UninvoiceableOrder(
                    f"line {given.line_no} ({given.sku}): {name} is {actual}, "
                    f"but the line computes to {expected}"
                )
        lines.append(line)
    lines.sort(key=lambda line: line.line_no)
    totals = Totals.of(lines)
    for name in ("net", "tax", "gross"):
        expected, actual = getattr(totals, name), getattr(stated, name)
        if expected != actual:
            raise UninvoiceableOrder(
                f"totals.{name} is {actual}, but the lines add up to {expected}"
            )
    _check_tax_breakdown(totals.taxes, stated.taxes)
    if totals.gross < 0:
        raise UninvoiceableOrder(f"the order's gross total {totals.gross} is negative")
    return lines, totals


def _check_tax_breakdown(computed: Sequence[TaxAmount], stated: Sequence[TaxAmount]) -> None:
    """Each stated rate must match; a rate the order leaves out must carry no tax.

    An order may state no breakdown at all, or leave out its tax-free (0 %) rates.
    """
    ours = {tax.rate.normalize(): tax for tax in computed}
    theirs: dict[Decimal, TaxAmount] = {}
    for tax in stated:
        rate = tax.rate.normalize()
        if rate in theirs:
            raise UninvoiceableOrder(f"totals.taxes lists the rate {tax.rate} % twice")
        theirs[rate] = tax
    if not theirs:
        return
    for rate, given in theirs.items():
        mine = ours.get(rate)
        if mine is None:
            raise UninvoiceableOrder(f"totals.taxes lists the rate {given.rate} % no line has")
        if (mine.base, mine.amount) != (given.base, given.amount):
            raise UninvoiceableOrder(
                f"totals.taxes at {given.rate} %: base {given.base} and tax {given.amount}, "
                f"but the lines add up to base {mine.base} and tax {mine.amount}"
            )
    for rate, mine in ours.items():
        if rate not in theirs and mine.amount != 0:
            raise UninvoiceableOrder(f"totals.taxes leaves out the rate {mine.rate} %")


@dataclass(frozen=True)
class Payment:
    id: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = None


@dataclass
class Invoice:
    """An issued invoice: its lines and totals never change; payments settle its balance."""

    id: str
    number: str
    order_id: str
    order_number: str
    customer: Customer
    currency: str
    issue_date: date
    due_date: date
    payment_terms: PaymentTerms
    lines: list[InvoiceLine]
    totals: Totals
    billing_address: Address | None = None
    shipping_address: Address | None = None
    customer_reference: str | None = None
    opening_text: str | None = None
    closing_text: str | None = None
    status: InvoiceStatus = InvoiceStatus.ISSUED
    paid_total: Decimal = ZERO
    payments: list[Payment] = field(default_factory=list)
    created_at: datetime | None = None

    @property
    def balance(self) -> Decimal:
        return money(self.totals.gross - self.paid_total)

    def receive(self, payment: Payment) -> None:
        """Apply a payment: partial payments keep a balance; the last one settles it.

        Refuses (and changes nothing) a non-positive amount, a payment on a paid invoice, and
        a payment above the balance.
        """
        amount = payment.amount
        if amount <= 0 or money(amount) != amount:
            raise ValueError("a payment amount must be positive with at most 2 decimal places")
        if self.status is InvoiceStatus.PAID:
            raise InvoiceAlreadyPaid(f"invoice {self.number} is already paid")
        if amount > self.balance:
            raise PaymentExceedsBalance(
                f"the payment of {amount} {self.currency} exceeds the balance of "
                f"{self.balance} {self.currency} of invoice {self.number}"
            )
        self.paid_total = money(self.paid_total + amount)
        self.payments.append(payment)
        self.status = InvoiceStatus.PAID if self.balance == 0 else InvoiceStatus.PARTIALLY_PAID
