"""Down payments against the in-memory unit of work: by percentage or amount, deducted from the
next invoices as negative lines, never below zero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from billing_builders import completed, confirmed, shipped
from billing_fakes import FakeUnitOfWork

from billing.domain.down_payments import (
    DownPaymentRefused,
    RateLeft,
    deduction_lines,
    down_payment_lines,
    left_to_deduct,
)
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import TaxAmount
from billing.service_layer import order_invoicing
from billing.service_layer.down_payment_invoices import issue_down_payment
from contracts import EventType

TODAY = date(2025, 3, 10)
MIXED = [("BOOK", "3", "19.99", "0", "4"), ("PEN", "7", "1.37", "0", "21")]  # 59.97 + 9.59


def test_a_percentage_takes_that_share_of_each_rate() -> None:
    taxes = [TaxAmount(D(4), D("59.97"), D("2.40")), TaxAmount(D(21), D("9.59"), D("2.01"))]
    lines = down_payment_lines(taxes, D("73.97"), currency="EUR", description="d", percent=D(30))
    assert [(x.tax_rate, x.net_amount, x.tax_amount) for x in lines] == [
        (D(4), D("17.99"), D("0.72")),
        (D(21), D("2.88"), D("0.60")),
    ]


def test_a_fixed_amount_is_hit_exactly_where_the_rounding_rule_allows() -> None:
    taxes = [TaxAmount(D(4), D("59.97"), D("2.40")), TaxAmount(D(21), D("9.59"), D("2.01"))]
    lines = down_payment_lines(taxes, D("73.97"), currency="EUR", description="d", amount=D(50))
    assert sum(x.gross_amount for x in lines) == D("50.00")
    # 100.00 at 21 % alone cannot be reached (82.64 → 99.99, 82.65 → 100.01): the gross
    # below it is taken, never more than asked
    [alone] = down_payment_lines(
        [TaxAmount(D(21), D("200.00"), D("42.00"))],
        D("242.00"),
        currency="EUR",
        description="d",
        amount=D(100),
    )
    assert (alone.net_amount, alone.gross_amount) == (D("82.64"), D("99.99"))
    jpy = down_payment_lines(
        [TaxAmount(D(10), D("1001"), D("100"))],
        D("1101"),
        currency="JPY",
        description="d",
        percent=D("33.3"),
    )
    assert [(x.net_amount, x.tax_amount) for x in jpy] == [(D("333"), D("33"))]


def test_a_deduction_never_takes_an_invoice_below_zero() -> None:
    left = [RateLeft(D(21), D("33.00"), D("6.93"))]
    whole = deduction_lines(left, D("100"), first_line_no=4, currency="EUR", description="d")
    assert [(x.line_no, x.net_amount, x.tax_amount, x.gross_amount) for x in whole] == [
        (4, D("-33.00"), D("-6.93"), D("-39.93"))
    ]
    part = deduction_lines(left, D("12.10"), first_line_no=4, currency="EUR", description="d")
    assert sum(x.gross_amount for x in part) >= D("-12.10")
    assert sum(x.gross_amount for x in part) == D("-12.10")
    assert deduction_lines(left, D(0), first_line_no=4, currency="EUR", description="d") == []


async def test_thirty_percent_down_then_the_final_invoice_deducts_it(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    order = make_order()  # 110.00 + 23.10 = 133.10 at 21 %
    policy = {"today": TODAY, "default_policy": InvoicingPolicy.ON_COMPLETION}
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    down = await issue_down_payment(uow, order.order_id, percent=D(30), today=TODAY)
    assert [(x.sku, x.net_amount, x.tax_amount) for x in down.lines] == [
        ("DOWN-PAYMENT", D("33.00"), D("6.93"))
    ]
    final = await order_invoicing.order_completed(uow, completed(order), order, **policy)
    assert final is not None
    assert [(x.line_no, x.sku, x.gross_amount) for x in final.lines][-1] == (
        4,
        "DOWN-PAYMENT",
        D("-39.93"),
    )
    assert final.totals.gross == D("93.17")
    assert down.totals.gross + final.totals.gross == order.totals.gross
    issued = [e.data for e in uow.events if e.type == EventType.INVOICE_ISSUED]
    assert [(e.kind, e.invoiced_total, e.down_payment_deducted) for e in issued] == [
        ("down_payment", D("39.93"), None),
        (None, D("133.10"), D("39.93")),
    ]
    [deducted] = [e.data for e in uow.events if e.type == EventType.DOWN_PAYMENT_DEDUCTED]
    assert (deducted.amount, deducted.remaining) == (D("39.93"), D("0.00"))
    assert deducted.down_payment_numbers == [down.number]
    progress = await order_invoicing.progress(
        uow, order.order_id, default_policy=InvoicingPolicy.ON_COMPLETION
    )
    assert progress.invoiced_total == D("133.10")  # the order's lines, all of them


async def test_a_small_delivery_deducts_what_it_can_and_the_next_the_rest(
    make_order: Any,
) -> None:
    uow = FakeUnitOfWork()
    order = make_order()  # BOLT-M8 10 × 2.50, NUT-M8 4 × 1.25, INSTALL 80.00; 133.10
    policy = {"today": TODAY, "default_policy": InvoicingPolicy.ON_DELIVERY}
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    await issue_down_payment(uow, order.order_id, amount=D("50.00"), today=TODAY)
    small = await order_invoicing.shipment_dispatched(
        uow, shipped(order.order_id, "S1", ("BOLT-M8", "4")), **policy
    )
    assert small is not None
    assert small.totals.gross == D("0.00")  # 12.10 of goods, 12.10 deducted: never below zero
    rest = await order_invoicing.order_completed(uow, completed(order), order, **policy)
    assert rest is not None
    assert rest.totals.gross == D("133.10") - D("12.10") - D("37.90")
    deducted = [e.data for e in uow.events if e.type == EventType.DOWN_PAYMENT_DEDUCTED]
    assert [(d.amount, d.remaining) for d in deducted] == [
        (D("12.10"), D("37.90")),
        (D("37.90"), D("0.00")),
    ]


async def test_a_down_payment_beyond_the_order_is_refused(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    order = make_order()
    policy = {"today": TODAY, "default_policy": InvoicingPolicy.ON_COMPLETION}
    await order_invoicing.order_known(uow, confirmed(order), order, **policy)
    with pytest.raises(DownPaymentRefused) as above:
        await issue_down_payment(uow, order.order_id, amount=D("133.11"), today=TODAY)
    assert above.value.field == "body.amount"
    await issue_down_payment(uow, order.order_id, percent=D(80), today=TODAY)
    with pytest.raises(DownPaymentRefused) as beyond:
        await issue_down_payment(uow, order.order_id, percent=D(30), today=TODAY)
    assert beyond.value.field == "body.percent"
    with pytest.raises(DownPaymentRefused):
        await issue_down_payment(uow, order.order_id, amount=D("0.001"), today=TODAY)
    assert len(uow.invoices.rows) == 1


def test_a_rate_credited_back_beyond_what_was_left_leaves_nothing_to_deduct() -> None:
    rate = D("21")
    left = left_to_deduct(
        [
            (rate, D("33.00"), D("6.93")),  # the down payment
            (rate, D("-33.00"), D("-6.93")),  # deducted by the final invoice
            (rate, D("-10.00"), D("-2.10")),  # then credited back on its invoice
            (D("7"), D("10.00"), D("0.70")),
        ]
    )
    assert left == [RateLeft(rate=D("7"), net=D("10.00"), tax=D("0.70"))]
