"""Receivables: what customers owe as of a date, aged by days past due, and their statement.

Pure Python. An invoice's open amount as of a date is its gross total less the allocations
received by then and not reversed by then (the adapter computes it from the dated rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.model import ZERO, money

# The ageing buckets: name, and the days past due it spans (None: unbounded).
AGEING: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("days_1_30", 1, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("days_over_90", 91, None),
)
BUCKETS = tuple(name for name, _, _ in AGEING)


def ageing_bucket(due_date: date, as_of: date) -> str:
    """The bucket of an amount due on `due_date`, seen on `as_of`: `current` (not past due),
    `days_1_30`, `days_31_60`, `days_61_90` or `days_over_90` days past due."""
    overdue = (as_of - due_date).days
    for name, low, high in AGEING:
        if (low is None or overdue >= low) and (high is None or overdue <= high):
            return name
    raise AssertionError("the buckets cover every number of days")


@dataclass(frozen=True)
class OpenItem:
    """An invoice that still owed something on the date asked about."""

    invoice_id: str
    number: str
    order_id: str
    customer_id: str
    customer_name: str
    currency: str
    issue_date: date
    due_date: date
    gross: Decimal
    open: Decimal


@dataclass
class Ageing:
    """Open amounts of one customer (or of everyone) in one currency, per bucket."""

    currency: str
    customer_id: str | None = None
    customer_name: str | None = None
    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    days_over_90: Decimal = ZERO
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return money(sum((getattr(self, name) for name in BUCKETS), ZERO), self.currency)


class EntryKind(StrEnum):
    INVOICE = "invoice"
    PAYMENT = "payment"
    PAYMENT_REVERSED = "payment_reversed"
    REFUND = "refund"
    CREDIT_NOTE = "credit_note"  # its whole amount: what it took off an invoice and the credit


# What each kind does to what the customer owes: invoices and money paid back raise it.
_OWES_MORE = {EntryKind.INVOICE, EntryKind.PAYMENT_REVERSED, EntryKind.REFUND}


@dataclass(frozen=True)
class Entry:
    """A dated movement on a customer's account."""

    on: date
    kind: EntryKind
    id: str
    reference: str
    currency: str
    amount: Decimal

    @property
    def debit(self) -> Decimal:
        return self.amount if self.kind in _OWES_MORE else ZERO

    @property
    def credit(self) -> Decimal:
        return ZERO if self.kind in _OWES_MORE else self.amount

    @property
    def change(self) -> Decimal:
        return self.debit - self.credit


@dataclass
class StatementLine:
    entry: Entry
    balance: Decimal


@dataclass
class Statement:
    """A customer's account in one currency over a period: what they owed before it, every
    movement in it with the running balance, and what they owe at its end (negative: credit)."""

    currency: str
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening_balance


_KIND_ORDER = {kind: n for n, kind in enumerate(EntryKind)}


def statements(entries: Iterable[Entry], start: date) -> list[Statement]:
    """One statement per currency (alphabetical) of `entries` up to the period's end: those
    before `start` make the opening balance, the rest are its lines, in date order."""
    by_currency: dict[str, Statement] = {}
    ordered = sorted(entries, key=lambda e: (e.on, _KIND_ORDER[e.kind], e.reference, e.id))
    for entry in ordered:
        statement = by_currency.setdefault(entry.currency, Statement(entry.currency, ZERO))
        if entry.on < start:
            statement.opening_balance = money(
                statement.opening_balance + entry.change, entry.currency
            )
        else:
            balance = money(statement.closing_balance + entry.change, entry.currency)
            statement.lines.append(StatementLine(entry, balance))
    return [by_currency[c] for c in sorted(by_currency)]
