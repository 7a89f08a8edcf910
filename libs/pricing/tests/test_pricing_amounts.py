"""Line amounts, tax breakdown and totals: half-up rounding per line, then plain sums."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pricing import (
    AmountTooLarge,
    LineAmounts,
    TaxLine,
    check_amount,
    document_totals,
    in_currency,
    line_amounts,
    plain,
    round_money,
    tax_breakdown,
)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),  # half-up, not banker's rounding (which gives 0.00)
        ("0.025", "0.03"),
        ("0.0049", "0.00"),
        ("-0.005", "-0.01"),  # half away from zero
        ("10", "10.00"),
    ],
)
def test_money_rounds_half_up_to_the_cent_without_a_currency(value: str, rounded: str) -> None:
    assert str(round_money(D(value))) == rounded
    assert str(round_money(D(value), "EUR")) == rounded


@pytest.mark.parametrize(
    ("value", "currency", "rounded"),
    [
        ("1234.5", "JPY", "1235"),  # no minor unit: whole yen
        ("1234.49", "JPY", "1234"),
        ("-0.5", "KRW", "-1"),
        ("1.2345", "KWD", "1.235"),  # 3 minor digits: fils
        ("1.0005", "BHD", "1.001"),
        ("1.00005", "CLF", "1.0001"),  # 4 minor digits
        ("1.005", "XAU", "1.01"),  # no minor unit defined by ISO: 2 decimals
        ("1.005", "ABC", "1.01"),  # not ISO 4217 (refused where money enters): 2 decimals
    ],
)
def test_money_rounds_to_the_currency_minor_unit(value: str, currency: str, rounded: str) -> None:
    assert str(round_money(D(value), currency)) == rounded


def test_line_net_is_quantity_times_price_less_discount_rounded() -> None:
    # 2.5 × 19.99 = 49.975, less 10 % = 44.9775 → 44.98; 7 % tax = 3.1486 → 3.15
    assert line_amounts(D("2.5"), D("19.99"), D("10"), D("7")) == LineAmounts(
        D("44.98"), D("3.15"), D("48.13")
    )


def test_tax_is_computed_on_the_rounded_net() -> None:
    # net 0.125 → 0.13 first; 50 % of 0.13 = 0.065 → 0.07 (the unrounded net would give 0.06)
    amounts = line_amounts(D("1"), D("0.125"), D("0"), D("50"))
    assert (amounts.net, amounts.tax) == (D("0.13"), D("0.07"))


def test_line_in_a_currency_without_minor_unit() -> None:
    # 3 × 333.5 = 1000.5 → 1001 yen; 10 % = 100.1 → 100 yen
    amounts = line_amounts(D("3"), D("333.5"), D("0"), D("10"), currency="JPY")
    assert amounts == LineAmounts(D("1001"), D("100"), D("1101"))
    assert str(amounts.gross) == "1101"


def test_line_in_a_currency_with_three_minor_digits() -> None:
    # 3 × 0.415 = 1.245 dinars exactly (not 1.25); 10 % = 0.1245 → 0.125
    amounts = line_amounts(D("3"), D("0.415"), D("0"), D("10"), currency="BHD")
    assert amounts == LineAmounts(D("1.245"), D("0.125"), D("1.370"))
    assert str(amounts.gross) == "1.370"


def test_totals_are_expressed_in_the_currency_minor_unit() -> None:
    yen = line_amounts(D("2"), D("500"), D("0"), D("10"), currency="JPY")
    totals = document_totals([(D("10"), yen)], currency="JPY")
    assert [str(v) for v in (totals.net, totals.tax, totals.gross)] == ["1000", "100", "1100"]
    assert [str(totals.taxes[0].base), str(totals.taxes[0].amount)] == ["1000", "100"]
    assert str(document_totals([], currency="BHD").gross) == "0.000"


@pytest.mark.parametrize(
    ("stored", "currency", "shown"),
    [
        ("12.5000", "EUR", "12.50"),
        ("1235.0000", "JPY", "1235"),
        ("1.2450", "BHD", "1.245"),
        ("0.1250", "EUR", "0.125"),  # a unit price finer than the cent keeps its digits
        ("100.5000", "JPY", "100.5"),
        ("7.0000", None, "7.00"),
    ],
)
def test_stored_values_read_back_in_the_currency_form(
    stored: str, currency: str | None, shown: str
) -> None:
    assert str(in_currency(D(stored), currency)) == shown


def test_amounts_that_do_not_fit_are_refused() -> None:
    with pytest.raises(AmountTooLarge, match="line amount"):
        line_amounts(D("999999999999.999"), D("9999999999999999.99"), D("0"), D("0"))
    big = line_amounts(D("1"), D("9000000000000000.00"), D("0"), D("0"))
    with pytest.raises(AmountTooLarge, match=r"the order total 18000000000000000\.00 is too large"):
        document_totals([(D("0"), big), (D("0"), big)])
    with pytest.raises(AmountTooLarge, match="the invoice total"):
        document_totals([(D("0"), big), (D("0"), big)], subject="invoice")
    assert check_amount(D("9999999999999999.99"), "x") == D("9999999999999999.99")


def test_totals_sum_the_rounded_lines_and_break_tax_down_per_rate() -> None:
    lines = [
        (D("21"), line_amounts(D("10"), D("2.50"), D("0"), D("21"))),
        (D("21.00"), line_amounts(D("1"), D("80.00"), D("0"), D("21"))),
        (D("10"), line_amounts(D("3"), D("0.335"), D("0"), D("10"))),
        (D("0"), line_amounts(D("1"), D("5"), D("0"), D("0"))),
    ]
    totals = document_totals(lines)
    assert (totals.net, totals.tax, totals.gross) == (D("111.01"), D("22.15"), D("133.16"))
    assert totals.taxes == (
        TaxLine(D("0"), D("5.00"), D("0.00")),
        TaxLine(D("10"), D("1.01"), D("0.10")),
        TaxLine(D("21"), D("105.00"), D("22.05")),  # 21 and 21.00 are one rate
    )
    assert str(totals.taxes[2].rate) == "21"  # the first spelling


def test_per_rate_tax_is_the_sum_of_the_rounded_line_taxes() -> None:
    # Each line: 0.10 × 15 % = 0.015 → 0.02; taxing the 0.30 base at once would give 0.05.
    line = line_amounts(D("1"), D("0.10"), D("0"), D("15"))
    assert tax_breakdown([(D("15"), line)] * 3) == (TaxLine(D("15"), D("0.30"), D("0.06")),)


def test_sums_are_expressed_with_two_decimals() -> None:
    # Amounts read from a JSON payload may come without trailing zeros.
    given = LineAmounts(D("10.5"), D("1"), D("11.5"))
    totals = document_totals([(D("10"), given)])
    assert [str(v) for v in (totals.net, totals.tax, totals.gross)] == ["10.50", "1.00", "11.50"]
    assert str(totals.taxes[0].base) == "10.50"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("10.000", "10"), ("10.500", "10.5"), ("0.125", "0.125"), ("21.0000", "21"), ("100", "100")],
)
def test_plain_drops_trailing_zeros_without_exponents(value: str, shown: str) -> None:
    assert str(plain(D(value))) == shown
