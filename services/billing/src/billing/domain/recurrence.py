"""The periods of a recurring order: one per month, quarter or year from its start, by
dateutil's rrule (no month arithmetic of our own)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from dateutil.rrule import MONTHLY, YEARLY, rrule

# frequency name → (rrule frequency, interval)
FREQUENCIES: dict[str, tuple[Literal[0, 1], int]] = {
    "monthly": (MONTHLY, 1),
    "quarterly": (MONTHLY, 3),
    "yearly": (YEARLY, 1),
}


def periods_due(frequency: str, start: date, end: date | None, today: date) -> list[date]:
    """The start dates of the periods that have begun by `today` (inclusive), before `end`.

    A period starts on the start's day of the month, or on the month's last day where the
    month is shorter (31 January → 28 February, 31 March, 30 April): rrule picks the last of
    the days from the 28th up to the start's day that the month has (`bysetpos=-1`).
    """
    last = min(today, end - timedelta(days=1)) if end is not None else today
    if last < start:
        return []
    freq, interval = FREQUENCIES[frequency]
    rule = rrule(
        freq,
        interval=interval,
        dtstart=datetime(start.year, start.month, start.day),
        until=datetime(last.year, last.month, last.day),
        bymonth=start.month if freq == YEARLY else None,
        bymonthday=tuple(range(min(start.day, 28), start.day + 1)),
        bysetpos=-1,
    )
    return [moment.date() for moment in rule]
