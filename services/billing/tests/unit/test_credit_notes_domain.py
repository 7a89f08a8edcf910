"""Credit notes in the pure domain: line and amount credits, what is left to credit, the excess
that becomes customer credit, and returns spread over an order's invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from billing.domain.credit_notes import (
    CreditRefused,
    InvalidCredit,
    Returned,
    amount_credit,
    apply_to,
    credit_note_number,
    credit_totals,
    line_credits,
    plan_return,
)
from billing.domain.invoicing_policy import Invoiced
from billing.domain.model import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentTerms,
    Totals,
)


def line(no: int, sku: str, quantity: str, price: str, rate: str = "21") -> InvoiceLine:
    return InvoiceLine.priced(
        line_no=no,
        sku=sku,
        description=sku,
        quantity=D(quantity),
        unit_price=D(price),
        discount_percent=D(0),
        tax_rate=D(rate),
        currency="EUR",
    )


def invoice(*lines: InvoiceLine, number: str = "INV-2026-000001", issued: int = 1) -> Invoice:
    found = list(lines) or [line(1, "A", "3", "0.333"), line(2, "B", "1", "100.00")]
    return Invoice(
        id=number,
        number=number,
        order_id="o-1",
        order_number="SO-1",
        customer=Customer(id="c", name="C"),
        currency="EUR",
        issue_date=date(2026, 1, issued),
        due_date=date(2026, 1, 31),
        payment_terms=PaymentTerms(),
        lines=found,
        totals=Totals.of(found, currency="EUR"),
    )


def test_numbers_have_their_own_series() -> None:
    assert credit_note_number(2026, 7) == "CN-2026-000007"


def test_thirds_of_a_line_credited_one_by_one_add_up_to_the_line_exactly() -> None:
    inv = invoice()  # line 1: 3 × 0.333 = 1.00 net (0.999), 0.21 tax
    credited: dict[int, Invoiced] = {}
    gross = D(0)
    for _ in range(3):
        [credit] = line_credits(inv, credited, [(1, D(1))])
        was = credited.get(1, Invoiced())
        credited[1] = Invoiced(
            was.quantity + credit.quantity, was.net + credit.net_amount, was.tax + credit.tax_amount
        )
        gross += credit.gross_amount
    assert gross == inv.lines[0].gross_amount
    with pytest.raises(CreditRefused, match="exceeds the 0 not credited yet"):
        line_credits(inv, credited, [(1, D("0.001"))])


def test_unknown_and_repeated_lines_name_the_field() -> None:
    with pytest.raises(InvalidCredit) as unknown:
        line_credits(invoice(), {}, [(2, D(1)), (9, D(1))])
    assert unknown.value.field == "lines.1.line_no"
    with pytest.raises(InvalidCredit) as twice:
        line_credits(invoice(), {}, [(2, D(1)), (2, D(1))])
    assert twice.value.field == "lines.1.line_no"
    deducted = invoice(line(1, "A", "1", "100.00"), line(2, "DOWN-PAYMENT", "1", "-50.00"))
    with pytest.raises(InvalidCredit) as deduction:
        line_credits(deducted, {}, [(2, D(1))])
    assert deduction.value.field == "lines.0.line_no"
    with pytest.raises(InvalidCredit) as empty:
        credit_totals([], "EUR")
    assert empty.value.field == "lines"


def test_an_amount_is_split_into_net_and_the_tax_it_includes() -> None:
    credit = amount_credit(invoice(), D("10.00"), None, "goodwill")
    assert (credit.net_amount, credit.tax_amount, credit.gross_amount) == (
        D("8.26"),
        D("1.74"),
        D("10.00"),
    )
    two_rates = invoice(line(1, "A", "1", "10.00", "21"), line(2, "B", "1", "10.00", "10"))
    with pytest.raises(InvalidCredit) as which:
        amount_credit(two_rates, D("5.00"), None, "x")
    assert which.value.field == "tax_rate"
    assert amount_credit(two_rates, D("5.50"), D("10.0"), "x").net_amount == D("5.00")
    with pytest.raises(InvalidCredit) as cents:
        amount_credit(invoice(), D("1.005"), None, "x")
    assert cents.value.field == "amount"


def test_credit_takes_off_the_open_amount_and_the_excess_is_customer_credit() -> None:
    inv = invoice(line(1, "A", "1", "100.00"))  # 121.00
    applied = apply_to(inv, D("21.00"))
    assert (applied.to_invoice, applied.to_credit, inv.balance, inv.status) == (
        D("21.00"),
        D("0.00"),
        D("100.00"),
        InvoiceStatus.ISSUED,
    )
    inv.receive(Payment(id="p", amount=D("80.00"), received_at=datetime.now(UTC)))
    assert (inv.status, inv.balance) == (InvoiceStatus.PARTIALLY_PAID, D("20.00"))
    with pytest.raises(CreditRefused, match=r"exceeds the 100\.00 EUR"):
        apply_to(inv, D("100.01"))
    assert (inv.credited_total, inv.balance) == (D("21.00"), D("20.00"))  # unchanged
    applied = apply_to(inv, D("100.00"))
    assert (applied.to_invoice, applied.to_credit) == (D("20.00"), D("80.00"))
    assert (inv.status, inv.balance, inv.credited_total) == (
        InvoiceStatus.CREDITED,
        D("0.00"),
        D("121.00"),
    )


def test_a_partial_credit_that_settles_what_is_owed_leaves_the_invoice_paid() -> None:
    inv = invoice(line(1, "A", "1", "100.00"))
    inv.receive(Payment(id="p", amount=D("100.00"), received_at=datetime.now(UTC)))
    apply_to(inv, D("21.00"))
    assert (inv.status, inv.balance) == (InvoiceStatus.PAID, D("0.00"))


def test_a_return_fills_the_oldest_invoices_lines_first() -> None:
    first = invoice(line(1, "A", "2", "5.00"), number="INV-1", issued=1)
    second = invoice(line(1, "A", "3", "5.00"), line(2, "B", "1", "5.00"), number="INV-2", issued=2)
    credited = {"INV-1": {1: Invoiced(quantity=D(1))}}
    plan = plan_return([second, first], credited, [Returned("A", D(3)), Returned("B", D(1))])
    assert plan.per_invoice == {"INV-1": [(1, D(1))], "INV-2": [(1, D(2)), (2, D(1))]}
    with pytest.raises(CreditRefused, match="5 of A came back, but only 4"):
        plan_return([first, second], credited, [Returned("A", D(5))])
