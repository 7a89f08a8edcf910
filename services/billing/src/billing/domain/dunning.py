"""Overdue invoices and dunning: which collection step an open invoice reaches on a day.

Step 0 is *overdue* (not paid by its due date); each configured dunning level (reminder, second
reminder, final notice...) is reached once its days past due have passed. An invoice reaches
each step at most once; when the daily run was missed, an invoice goes straight to the highest
level its days past due call for (the customer gets one letter, not three). Pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

OVERDUE_STEP = 0


@dataclass(frozen=True)
class DunningLevel:
    level: int  # 1, 2, 3 ...
    name: str
    days_past_due: int  # reached once the invoice is this many days past due
    text: str


DEFAULT_LEVELS = (
    DunningLevel(
        1,
        "Payment reminder",
        7,
        "Our records show that the invoice below is still open. If you have already paid, "
        "please disregard this reminder; otherwise we would be grateful for your payment.",
    ),
    DunningLevel(
        2,
        "Second reminder",
        21,
        "We have not yet received payment of the invoice below despite our reminder. "
        "Please pay the open amount within 7 days.",
    ),
    DunningLevel(
        3,
        "Final notice",
        35,
        "The invoice below remains unpaid. Unless we receive the open amount within 7 days, "
        "we will pass the matter on for collection.",
    ),
)


def check_levels(levels: Sequence[DunningLevel]) -> None:
    """Levels are numbered 1, 2, 3 ... with strictly growing days past due (at least 1)."""
    for index, level in enumerate(levels, start=1):
        if level.level != index:
            raise ValueError(f"dunning level {index} is numbered {level.level}")
        if level.days_past_due < 1:
            raise ValueError(f"dunning level {index} must wait at least 1 day past due")
        if index > 1 and level.days_past_due <= levels[index - 2].days_past_due:
            raise ValueError(f"dunning level {index} must wait longer than level {index - 1}")


@dataclass(frozen=True)
class Receivable:
    """An open invoice past its due date, and the last collection step it reached."""

    invoice_id: str
    number: str
    order_id: str
    customer_id: str
    customer_name: str
    customer_email: str | None
    currency: str
    due_date: date
    balance: Decimal
    last_step: int | None  # None: not marked overdue yet


@dataclass(frozen=True)
class Step:
    invoice_id: str
    step: int  # 0: overdue, else the dunning level
    name: str
    reached_on: date
    days_past_due: int


def next_steps(
    receivable: Receivable, today: date, levels: Sequence[DunningLevel]
) -> list[tuple[Step, DunningLevel | None]]:
    """The steps `receivable` reaches on `today`: overdue (once), then the highest dunning
    level due that it has not reached yet."""
    days = (today - receivable.due_date).days
    if days < 1:
        return []
    steps: list[tuple[Step, DunningLevel | None]] = []
    last = receivable.last_step
    if last is None:
        steps.append((Step(receivable.invoice_id, OVERDUE_STEP, "Overdue", today, days), None))
        last = OVERDUE_STEP
    due = [level for level in levels if level.days_past_due <= days and level.level > last]
    if due:
        level = due[-1]
        steps.append((Step(receivable.invoice_id, level.level, level.name, today, days), level))
    return steps
