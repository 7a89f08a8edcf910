"""Line amounts and order totals as orders computes them.

The arithmetic is `pricing`'s, the suite's one money module, tested in libs/pricing/tests; these
are orders' own examples and its tax breakdown, highest rate first."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

import pricing
from orders.domain import totals as orders_totals
from orders.domain.content import Line, LineKind
from orders.domain.order import Order
from orders.domain.totals import (
    AmountTooLarge,
    LineAmounts,
    Totals,
    line_amounts,
    round_money,
    totals,
)


def test_orders_compute_amounts_with_pricing() -> None:
    # One rounding rule for the suite (ADR 5): orders have no arithmetic of their own.
    for name in ("line_amounts", "round_money", "plain", "AmountTooLarge", "LineAmounts", "Totals"):
        assert getattr(orders_totals, name) is getattr(pricing, name)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),  # half-up, not banker's rounding (which gives 0.00)
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("0.0049", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero
        ("10", "10.00"),
    ],
)
def test_money_rounds_half_up_to_the_cent(value: str, rounded: str) -> None:
    result = round_money(D(value))
    assert result == D(rounded)
    assert str(result) == rounded


def test_line_net_is_quantity_times_price_less_discount_rounded() -> None:
    # 3 × 0.335 = 1.005 → 1.01; tax 21 % of 1.01 = 0.2121 → 0.21
    assert line_amounts(D("3"), D("0.335"), D("0"), D("21")) == LineAmounts(
        D("1.01"), D("0.21"), D("1.22")
    )


def test_full_discount_and_zero_tax() -> None:
    assert line_amounts(D("4"), D("12.50"), D("100"), D("21")) == LineAmounts(
        D("0.00"), D("0.00"), D("0.00")
    )
    assert line_amounts(D("1.5"), D("3.33"), D("0"), D("0")).gross == D("5.00")  # 4.995


def test_totals_sum_rounded_lines_and_break_tax_down_per_rate() -> None:
    lines = [
        (D("21"), line_amounts(D("10"), D("2.50"), D("0"), D("21"))),
        (D("21"), line_amounts(D("4"), D("1.25"), D("0"), D("21"))),
        (D("21.00"), line_amounts(D("1"), D("80.00"), D("0"), D("21"))),
        (D("10"), line_amounts(D("3"), D("0.335"), D("0"), D("10"))),
        (D("0"), line_amounts(D("1"), D("5"), D("0"), D("0"))),
    ]
    result = totals(lines)
    assert result.net == D("116.01")
    assert result.tax == D("23.20")  # 5.25 + 1.05 + 16.80 + 0.10 + 0
    assert result.gross == result.net + result.tax == D("139.21")
    assert [(t.rate, t.base, t.amount) for t in result.taxes] == [
        (D("21"), D("110.00"), D("23.10")),  # 21 and 21.00 are one rate
        (D("10"), D("1.01"), D("0.10")),
        (D("0"), D("5.00"), D("0.00")),
    ]
    assert str(result.taxes[0].rate) == "21"


def test_the_lead_example_adds_up() -> None:
    lines = [
        (D("21"), line_amounts(D("10"), D("2.50"), D("0"), D("21"))),
        (D("21"), line_amounts(D("4"), D("1.25"), D("0"), D("21"))),
        (D("21"), line_amounts(D("1"), D("80.00"), D("0"), D("21"))),
    ]
    assert totals(lines).gross == D("133.10")


def test_per_line_rounding_can_differ_from_rounding_the_sum() -> None:
    # Three lines of 0.333 net → 0.33 each → 0.99, not round(0.999) = 1.00
    line = line_amounts(D("1"), D("0.333"), D("0"), D("0"))
    assert totals([(D("0"), line)] * 3).net == D("0.99")


def test_amounts_that_do_not_fit_are_refused() -> None:
    with pytest.raises(AmountTooLarge):
        line_amounts(D("999999999999.999"), D("9999999999999999.99"), D("0"), D("0"))
    big = line_amounts(D("1"), D("9000000000000000.00"), D("0"), D("0"))
    with pytest.raises(AmountTooLarge):
        totals([(D("0"), big), (D("0"), big)])


def a_line(**changes: object) -> Line:
    values: dict[str, object] = {
        "line_no": 1,
        "sku": "DRILL",
        "kind": LineKind.PRODUCT,
        "description": "Drill",
        "quantity": D("3"),
        "unit_price": D("19.99"),
        "tax_rate": D("21"),
        "currency": "EUR",
    }
    return Line(**(values | changes))  # type: ignore[arg-type]


def test_a_lines_amounts_follow_every_change_of_its_inputs() -> None:
    line = a_line()
    assert line.amounts == line_amounts(D("3"), D("19.99"), D(0), D("21"), currency="EUR")
    assert line.amounts is line.amounts  # asked again, not worked out again
    changes: dict[str, object] = {
        "quantity": D("4"),
        "cancelled_quantity": D("1"),
        "unit_price": D("20.00"),
        "discount_percent": D("10"),
        "tax_rate": D("7"),
        "currency": "JPY",
    }
    for name, value in changes.items():
        setattr(line, name, value)
        expected = line_amounts(
            line.quantity - line.cancelled_quantity,
            line.unit_price,
            line.discount_percent,
            line.tax_rate,
            currency=line.currency,
        )
        assert line.amounts == expected, name


def test_an_equal_input_of_another_sign_is_worked_out_again() -> None:
    line = a_line(quantity=D("0"))
    assert str(line.amounts.net) == "0.00"
    line.quantity = D("-0")  # equal to 0, but its net is -0.00
    assert str(line.amounts.net) == str(line_amounts(D("-0"), D("19.99"), D(0), D("21")).net)


def test_the_memo_is_not_part_of_the_line() -> None:
    line = a_line()
    _ = line.amounts
    assert line == a_line()
    assert "_amounts_of_inputs" not in asdict(line)
    assert replace(line, quantity=D("5")).amounts.net == D("99.95")


MOMENT = datetime(2026, 3, 1, 9, tzinfo=UTC)
A_DRAFT = {"id": "o-1", "number": "SO-2026-000001", "customer_id": "c-1", "currency": "EUR"}


def an_order(*lines: Line) -> Order:
    dates = {"order_date": MOMENT.date(), "created_at": MOMENT, "updated_at": MOMENT}
    return Order(**A_DRAFT, **dates, lines=list(lines))  # type: ignore[arg-type]


def summed(order: Order) -> Totals:
    return totals(((line.tax_rate, line.amounts) for line in order.lines), currency=order.currency)


def test_an_orders_totals_follow_every_change_of_its_lines_and_currency() -> None:
    order = an_order(a_line(), a_line(line_no=2, tax_rate=D("7"), unit_price=D("5.00")))
    assert order.totals == summed(order)
    assert order.totals is order.totals  # asked again, not summed again
    order.lines[0].quantity = D("5")  # a line changed in place
    assert order.totals.net == D("114.95")  # 5 × 19.99 + 3 × 5.00
    order.lines.append(a_line(line_no=3, unit_price=D("1.00"), quantity=D("1")))
    assert order.totals == summed(order)
    order.lines = order.lines[:1]
    assert order.totals == summed(order)
    order.lines[0] = a_line(line_no=1, tax_rate=D("0"))  # another line in the same place
    assert order.totals.tax == D("0.00")
    order.currency = "JPY"
    order.lines[0].currency = "JPY"
    assert order.totals == summed(order)
    assert order.totals.gross == D("60")  # yen have no minor unit: 3 × 19.99 rounds to 60


def test_the_totals_memo_is_not_part_of_the_order() -> None:
    order = an_order(a_line())
    _ = order.totals
    assert order == an_order(a_line())
    assert "_totals_of_inputs" not in asdict(order)
    assert replace(order, lines=[a_line(quantity=D("1"))]).totals.net == D("19.99")
