"""The billing domain: amounts and rounding, tax breakdown, due dates, numbers, payments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from billing.domain.model import (
    Customer,
    Invoice,
    InvoiceAlreadyPaid,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentExceedsBalance,
    PaymentTerms,
    StatedLine,
    TaxAmount,
    Totals,
    UninvoiceableOrder,
    due_date,
    invoice_number,
    line_amounts,
    plain,
    reconcile,
)


def line(no: int, quantity: str, price: str, rate: str, discount: str = "0") -> InvoiceLine:
    return InvoiceLine.priced(
        line_no=no,
        sku=f"SKU-{no}",
        description="x",
        quantity=D(quantity),
        unit_price=D(price),
        discount_percent=D(discount),
        tax_rate=D(rate),
    )


def stated(priced: InvoiceLine, **changes: D) -> StatedLine:
    values = {**priced.__dict__, **changes}
    return StatedLine(**values)


# --- line amounts -------------------------------------------------------------------------------


def test_line_amounts_apply_the_discount_then_round_half_up_to_the_cent() -> None:
    amounts = line_amounts(D("3"), D("19.99"), D("10"), D("21"))
    assert (amounts.net, amounts.tax, amounts.gross) == (D("53.97"), D("11.33"), D("65.30"))


def test_half_a_cent_rounds_up_not_to_even() -> None:
    # 0.5 x 0.01 = 0.005 and 0.50 x 1 % = 0.005: bankers' rounding would give 0.00 both times.
    assert line_amounts(D("0.5"), D("0.01"), D("0"), D("0")).net == D("0.01")
    assert line_amounts(D("1"), D("0.50"), D("0"), D("1")).tax == D("0.01")
    assert line_amounts(D("1"), D("0.50"), D("0"), D("1")).gross == D("0.51")


def test_fractional_quantities_and_full_discounts() -> None:
    assert line_amounts(D("2.125"), D("4.00"), D("0"), D("7")).net == D("8.50")
    free = line_amounts(D("5"), D("12.00"), D("100"), D("21"))
    assert (free.net, free.tax, free.gross) == (D("0.00"), D("0.00"), D("0.00"))


def test_plain_drops_trailing_zeros_without_exponents() -> None:
    assert [str(plain(D(v))) for v in ("21.0000", "10.500", "100", "0.000", "2.125")] == [
        "21",
        "10.5",
        "100",
        "0",
        "2.125",
    ]


# --- totals and the tax breakdown ---------------------------------------------------------------


def test_totals_sum_the_lines_and_break_taxes_down_per_rate() -> None:
    lines = [
        line(1, "10", "2.50", "21"),
        line(2, "1", "80.00", "21.00"),  # the same rate, spelled differently
        line(3, "3", "1.99", "10"),
        line(4, "1", "15.00", "0"),
    ]
    totals = Totals.of(lines)
    assert totals.net == D("25.00") + D("80.00") + D("5.97") + D("15.00")
    assert totals.tax == D("5.25") + D("16.80") + D("0.60")
    assert totals.gross == totals.net + totals.tax == D("148.62")
    assert [(t.rate, t.base, t.amount) for t in totals.taxes] == [
        (D("0"), D("15.00"), D("0.00")),
        (D("10"), D("5.97"), D("0.60")),
        (D("21"), D("105.00"), D("22.05")),
    ]


def test_tax_per_rate_is_the_sum_of_the_rounded_line_taxes() -> None:
    # Each line: 0.10 x 15 % = 0.015 -> 0.02. Taxing the 0.30 base at once would give 0.05;
    # the breakdown says 0.06, like the three lines printed above it.
    lines = [line(no, "1", "0.10", "15") for no in range(1, 4)]
    totals = Totals.of(lines)
    assert totals.taxes == (TaxAmount(rate=D("15"), base=D("0.30"), amount=D("0.06")),)
    assert (totals.tax, totals.gross) == (D("0.06"), D("0.36"))


# --- checking an order's amounts ----------------------------------------------------------------


def order_lines() -> list[InvoiceLine]:
    return [line(1, "3", "19.99", "21", discount="10"), line(2, "2", "5.00", "10")]


def test_reconcile_accepts_an_order_whose_amounts_add_up() -> None:
    lines = order_lines()
    expected = Totals.of(lines)
    invoice_lines, totals = reconcile([stated(x) for x in reversed(lines)], expected)
    assert [x.line_no for x in invoice_lines] == [1, 2]
    assert totals == expected
    assert totals.gross == D("76.30")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("net_amount", D("53.98"), "line 1 (SKU-1): net_amount is 53.98, but the line computes"),
        ("tax_amount", D("11.34"), "line 1 (SKU-1): tax_amount is 11.34"),
        ("gross_amount", D("65.31"), "gross_amount is 65.31"),
    ],
)
def test_reconcile_refuses_a_line_that_does_not_compute(field: str, value: D, message: str) -> None:
    lines = order_lines()
    wrong = [stated(lines[0], **{field: value}), stated(lines[1])]
    with pytest.raises(UninvoiceableOrder, match=message.replace("(", r"\(").replace(")", r"\)")):
        reconcile(wrong, Totals.of(lines))


@pytest.mark.parametrize("field", ["net", "tax", "gross"])
def test_reconcile_refuses_totals_that_do_not_add_up(field: str) -> None:
    lines = order_lines()
    right = Totals.of(lines)
    wrong = Totals(
        **{**right.__dict__, field: getattr(right, field) + D("0.01")},
    )
    with pytest.raises(UninvoiceableOrder, match=f"totals.{field} is .* but the lines add up to"):
        reconcile([stated(x) for x in lines], wrong)


def test_reconcile_checks_the_stated_tax_breakdown() -> None:
    lines = [*order_lines(), line(3, "1", "10.00", "0")]
    right = Totals.of(lines)
    by_rate = {t.rate: t for t in right.taxes}
    given = [stated(x) for x in lines]

    without_zero_rate = Totals(
        right.net, right.tax, right.gross, (by_rate[D("10")], by_rate[D("21")])
    )
    assert reconcile(given, without_zero_rate)[1] == right  # a tax-free rate may be left out
    no_breakdown = Totals(right.net, right.tax, right.gross, ())
    assert reconcile(given, no_breakdown)[1] == right

    missing = Totals(right.net, right.tax, right.gross, (by_rate[D("21")],))
    with pytest.raises(UninvoiceableOrder, match="leaves out the rate 10"):
        reconcile(given, missing)
    shifted = TaxAmount(rate=D("21"), base=by_rate[D("21")].base, amount=D("0.01"))
    wrong = Totals(right.net, right.tax, right.gross, (by_rate[D("10")], shifted))
    with pytest.raises(UninvoiceableOrder, match=r"totals\.taxes at 21 %"):
        reconcile(given, wrong)
    unknown = Totals(
        right.net, right.tax, right.gross, (*right.taxes, TaxAmount(D("4"), D("0"), D("0")))
    )
    with pytest.raises(UninvoiceableOrder, match="the rate 4 % no line has"):
        reconcile(given, unknown)


def test_reconcile_refuses_empty_duplicate_and_negative_orders() -> None:
    with pytest.raises(UninvoiceableOrder, match="no lines"):
        reconcile([], Totals(D("0"), D("0"), D("0")))
    one = line(1, "1", "10.00", "21")
    with pytest.raises(UninvoiceableOrder, match="line number 1 appears twice"):
        reconcile([stated(one), stated(one)], Totals.of([one, one]))
    refund = line(1, "1", "-10.00", "21")
    with pytest.raises(UninvoiceableOrder, match="negative"):
        reconcile([stated(refund)], Totals.of([refund]))


# --- due dates and numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "days", "due"),
    [
        (date(2025, 3, 10), 30, date(2025, 4, 9)),
        (date(2025, 12, 20), 14, date(2026, 1, 3)),  # across the year end
        (date(2024, 2, 15), 14, date(2024, 2, 29)),  # leap day
        (date(2025, 3, 10), 0, date(2025, 3, 10)),  # due on receipt
    ],
)
def test_due_date_is_the_issue_date_plus_the_payment_terms(
    issued: date, days: int, due: date
) -> None:
    assert due_date(issued, days) == due
    assert PaymentTerms(days=days).due_date(issued) == due


def test_invoice_numbers_are_per_year_and_zero_padded() -> None:
    assert invoice_number(2025, 1) == "INV-2025-000001"
    assert invoice_number(2026, 4711) == "INV-2026-004711"
    with pytest.raises(ValueError, match="start at 1"):
        invoice_number(2025, 0)


# --- payments: the invoice's state machine ------------------------------------------------------


def invoice(gross_lines: list[InvoiceLine] | None = None) -> Invoice:
    lines = gross_lines or [line(1, "1", "110.00", "21")]  # 133.10 gross
    return Invoice(
        id="inv-1",
        number="INV-2025-000001",
        order_id="order-1",
        order_number="SO-1",
        customer=Customer(id="c", name="Customer"),
        currency="EUR",
        issue_date=date(2025, 3, 10),
        due_date=date(2025, 3, 24),
        payment_terms=PaymentTerms(days=14),
        lines=lines,
        totals=Totals.of(lines),
    )


def payment(amount: str, pid: str = "p") -> Payment:
    return Payment(id=pid, amount=D(amount), received_at=datetime(2025, 3, 12, tzinfo=UTC))


def test_partial_payments_keep_a_balance_until_the_last_one_settles_it() -> None:
    inv = invoice()
    assert (inv.status, inv.paid_total, inv.balance) == (InvoiceStatus.ISSUED, D("0"), D("133.10"))
    inv.receive(payment("100.00", "p1"))
    assert (inv.status, inv.paid_total, inv.balance) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("100.00"),
        D("33.10"),
    )
    inv.receive(payment("33.00", "p2"))
    assert (inv.status, inv.balance) == (InvoiceStatus.PARTIALLY_PAID, D("0.10"))
    inv.receive(payment("0.10", "p3"))
    assert (inv.status, inv.paid_total, inv.balance) == (InvoiceStatus.PAID, D("133.10"), D("0"))
    assert [p.id for p in inv.payments] == ["p1", "p2", "p3"]


def test_one_full_payment_pays_the_invoice() -> None:
    inv = invoice()
    inv.receive(payment("133.10"))
    assert (inv.status, inv.balance) == (InvoiceStatus.PAID, D("0.00"))


def test_a_payment_above_the_balance_is_refused_and_changes_nothing() -> None:
    inv = invoice()
    inv.receive(payment("100.00", "p1"))
    with pytest.raises(PaymentExceedsBalance, match=r"33\.11 EUR exceeds the balance of 33\.10"):
        inv.receive(payment("33.11", "p2"))
    assert (inv.status, inv.paid_total, [p.id for p in inv.payments]) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("100.00"),
        ["p1"],
    )


def test_a_paid_invoice_takes_no_more_payments() -> None:
    inv = invoice()
    inv.receive(payment("133.10", "p1"))
    with pytest.raises(InvoiceAlreadyPaid):
        inv.receive(payment("0.01", "p2"))
    assert (inv.status, inv.paid_total, len(inv.payments)) == (InvoiceStatus.PAID, D("133.10"), 1)


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005"])
def test_payment_amounts_must_be_positive_cents(amount: str) -> None:
    inv = invoice()
    with pytest.raises(ValueError, match="positive"):
        inv.receive(payment(amount))
    assert inv.paid_total == 0


def test_a_customer_payment_in_dinars_keeps_its_fils() -> None:
    from dataclasses import replace

    from billing.domain.payment import Allocation, CustomerPayment, credit_of, plan_oldest_first

    priced = InvoiceLine.priced(
        line_no=1,
        sku="TEA",
        description="Tea",
        quantity=D(3),
        unit_price=D("0.415"),
        discount_percent=D(0),
        tax_rate=D(10),
        currency="BHD",
    )
    inv = replace(invoice([priced]), currency="BHD", totals=Totals.of([priced], currency="BHD"))
    paid = CustomerPayment(
        id="cp", customer_id="c", currency="BHD", amount=D("2.005"), received_at=datetime.now(UTC)
    )
    [(planned, amount)] = plan_oldest_first([inv], paid.amount)
    assert amount == D("1.370")
    paid.allocate(
        planned, D("1.005"), Allocation("a", inv.id, inv.number, "o", D("1.005"), paid.received_at)
    )
    assert (inv.paid_total, inv.balance) == (D("1.005"), D("0.365"))  # not rounded to 1.01
    assert (paid.unallocated, credit_of([paid], "BHD")) == (D("1.000"), D("1.000"))
