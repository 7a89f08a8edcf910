"""Ageing buckets at their boundaries, and statements' running balances."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from billing.domain.receivables import Entry, EntryKind, ageing_bucket, statements

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "days_over_90"),
        (400, "days_over_90"),
    ],
)
def test_buckets_by_days_past_due(days_past_due: int, bucket: str) -> None:
    assert ageing_bucket(AS_OF - timedelta(days=days_past_due), AS_OF) == bucket


def entry(on: date, kind: EntryKind, amount: str, currency: str = "EUR") -> Entry:
    return Entry(on, kind, f"{kind}-{on}", f"ref {on}", currency, D(amount))


def test_statements_open_with_what_was_owed_and_run_a_balance_per_currency() -> None:
    start = date(2025, 6, 1)
    [eur, usd] = statements(
        [
            entry(date(2025, 6, 3), EntryKind.PAYMENT, "150.00"),
            entry(date(2025, 5, 20), EntryKind.INVOICE, "100.00"),
            entry(date(2025, 6, 2), EntryKind.INVOICE, "80.00"),
            entry(date(2025, 6, 9), EntryKind.PAYMENT_REVERSED, "150.00"),
            entry(date(2025, 6, 5), EntryKind.REFUND, "10.00"),
            entry(date(2025, 6, 1), EntryKind.INVOICE, "5.00", "USD"),
        ],
        start,
    )
    assert (eur.currency, eur.opening_balance) == ("EUR", D("100.00"))
    assert [
        (line.entry.kind, line.entry.debit, line.entry.credit, line.balance) for line in eur.lines
    ] == [
        (EntryKind.INVOICE, D("80.00"), 0, D("180.00")),
        (EntryKind.PAYMENT, 0, D("150.00"), D("30.00")),
        (EntryKind.REFUND, D("10.00"), 0, D("40.00")),
        (EntryKind.PAYMENT_REVERSED, D("150.00"), 0, D("190.00")),
    ]
    assert eur.closing_balance == D("190.00")
    assert (usd.opening_balance, usd.closing_balance) == (D("0.00"), D("5.00"))
