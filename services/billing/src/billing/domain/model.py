"""Invoices and payments: pure Python; the money arithmetic is the suite's one `pricing` module.

Amounts follow one convention, everywhere in the suite (docs/adr/0005-one-rounding-rule.md):

- a line's net is `quantity * unit_price * (100 - discount_percent) / 100`, rounded half up;
- a line's tax is `net * tax_rate / 100`, rounded half up; its gross is `net + tax`;
- per tax rate, the base is the sum of the nets and the amount the sum of the line taxes;
- the invoice's net, tax and gross are the sums of its lines'.

So the lines, the tax breakdown and the totals printed on an invoice always add up, and agree
with the order's own totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

# The suite's one money module; these names stay importable from here (explicit re-exports).
from pricing import CENT as CENT
from pricing import EXACT as EXACT
from pricing import ZERO as ZERO
from pricing import AmountTooLarge, TaxLine, document_totals, round_money
from pricing import LineAmounts as LineAmounts
from pricing import Totals as PricingTotals
from pricing import line_amounts as line_amounts
from pricing import plain as plain
from pricing.sales import Address as Address
from pricing.sales import PaymentTerms as PaymentTerms
from pricing.sales import PricedLine
from pricing.sales import due_date as due_date
from servicekit.numbers import format_yearly_number

money = round_money  # an amount rounded half up to a currency's minor unit (cent without one)
TaxAmount = TaxLine  # one rate of the invoice's tax breakdown: rate, base, amount


class BillingError(Exception):
    """A business rule refused the operation; nothing was changed."""


class UninvoiceableOrder(BillingError):
    """The completed order cannot be invoiced as it is (its amounts do not add up, ...)."""


class PaymentRefused(BillingError):
    """The payment cannot be recorded on the invoice in its current state."""


class InvalidPaymentAmount(BillingError, ValueError):
    """The amount is not positive, or not in whole minor units of the invoice's currency."""


class InvoiceAlreadyPaid(PaymentRefused):
    pass


class PaymentExceedsBalance(PaymentRefused):
    pass


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"  # also an invoice of nothing (a zero total), at once when it is issued
    CREDITED = "credited"  # its credit notes add up to its total (domain.credit_notes)


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


def invoice_number(year: int, sequence: int) -> str:
    """`INV-<year>-<6 digits>`: the `sequence`-th invoice issued in `year` (gapless, from 1)."""
    return format_yearly_number("INV", year, sequence)


class InvoiceLine(PricedLine):
    """A line of an invoice; `InvoiceLine.priced(...)` computes its amounts (`pricing`)."""


class Totals(PricingTotals):
    """The suite's totals (net, tax, gross, tax breakdown), computed from invoice lines."""

    @classmethod
    def of(cls, lines: Iterable[InvoiceLine], *, currency: str | None = None) -> Totals:
        """The totals of `lines` and their breakdown per tax rate (ascending rate), in
        `currency`'s minor unit.

        21 and 21.00 are one rate (the first spelling is kept). Raises `AmountTooLarge` when a
        total cannot be stored.
        """
        totals = document_totals(
            (
                (line.tax_rate, LineAmounts(line.net_amount, line.tax_amount, line.gross_amount))
                for line in lines
            ),
            subject="invoice",
            currency=currency,
        )
        return cls(net=totals.net, tax=totals.tax, gross=totals.gross, taxes=totals.taxes)


class StatedLine(PricedLine):
    """A line as the order stated it: its inputs and the amounts the order computed."""


def reconcile(
    stated_lines: Sequence[StatedLine], stated: Totals, *, currency: str | None = None
) -> tuple[list[InvoiceLine], Totals]:
    """Recompute every amount of an order and check it against what the order stated.

    Amounts are rounded to `currency`'s minor unit (to the cent without one), as the order
    rounded them. Returns the invoice lines and totals; raises `UninvoiceableOrder` naming the
    first difference found.
    """
    if not stated_lines:
        raise UninvoiceableOrder("the order has no lines")
    seen: set[int] = set()
    lines: list[InvoiceLine] = []
    for given in stated_lines:
        if given.line_no in seen:
            raise UninvoiceableOrder(f"line number {given.line_no} appears twice")
        seen.add(given.line_no)
        try:
            line = InvoiceLine.priced(
                line_no=given.line_no,
                sku=given.sku,
                description=given.description,
                quantity=given.quantity,
                unit_price=given.unit_price,
                discount_percent=given.discount_percent,
                tax_rate=given.tax_rate,
                currency=currency,
            )
        except AmountTooLarge as exc:
            raise UninvoiceableOrder(f"line {given.line_no} ({given.sku}): {exc}") from None
        for name in ("net_amount", "tax_amount", "gross_amount"):
            expected, actual = getattr(line, name), getattr(given, name)
            if expected != actual:
                raise UninvoiceableOrder(
                    f"line {given.line_no} ({given.sku}): {name} is {actual}, "
                    f"but the line computes to {expected}"
                )
        lines.append(line)
    lines.sort(key=lambda line: line.line_no)
    try:
        totals = Totals.of(lines, currency=currency)
    except AmountTooLarge as exc:
        raise UninvoiceableOrder(str(exc)) from None
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
    # The customer payment this is an allocation of (`domain.payment`; the same id when it was
    # recorded on this invoice alone), and when that payment was reversed.
    payment_id: str | None = None
    reversed_at: datetime | None = None


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
    # Its credit notes together, and the part of them that took off what it owed (the rest
    # became the customer's credit): `domain.credit_notes`.
    credited_total: Decimal = ZERO
    credit_applied: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.status is InvoiceStatus.ISSUED and self.totals.gross == 0:
            self.status = InvoiceStatus.PAID  # nothing to pay: settled when issued

    @property
    def balance(self) -> Decimal:
        """What it still owes: its total less its payments and the credit notes applied."""
        return money(self.totals.gross - self.paid_total - self.credit_applied, self.currency)

    def settled_status(self) -> InvoiceStatus:
        """The status its amounts give: owing (issued, partially paid), else credited when its
        credit notes add up to its total, else paid."""
        if self.balance > 0:
            return InvoiceStatus.PARTIALLY_PAID if self.paid_total > 0 else InvoiceStatus.ISSUED
        if self.totals.gross > 0 and self.credited_total >= self.totals.gross:
            return InvoiceStatus.CREDITED
        return InvoiceStatus.PAID

    def receive(self, payment: Payment) -> None:
        """Apply a payment: partial payments keep a balance; the last one settles it.

        Refuses (and changes nothing) a non-positive amount, a payment on a paid invoice, and
        a payment above the balance.
        """
        amount = payment.amount
        if amount <= 0 or money(amount, self.currency) != amount:
            raise InvalidPaymentAmount(
                f"a payment amount must be positive, in whole minor units of {self.currency}"
            )
        if self.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED):
            raise InvoiceAlreadyPaid(f"invoice {self.number} is already {self.status.value}")
        if amount > self.balance:
            raise PaymentExceedsBalance(
                f"the payment of {amount} {self.currency} exceeds the balance of "
                f"{self.balance} {self.currency} of invoice {self.number}"
            )
        self.paid_total = money(self.paid_total + amount, self.currency)
        self.payments.append(payment)
        self.status = self.settled_status()
