"""Recurring invoices: the periods (dateutil's rrule) and the job on the in-memory unit of work."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from billing_builders import completed, confirmed
from billing_fakes import FakeUnitOfWork

from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.recurrence import periods_due
from billing.domain.schedules import ScheduleRefused, ScheduleStatus
from billing.service_layer import order_invoicing, schedules
from billing.service_layer.recurring import run_recurring
from contracts import EventType
from contracts.common import OrderSnapshot
from servicekit.testing import order_event

DEFAULT = InvoicingPolicy.ON_COMPLETION


@pytest.mark.parametrize(
    ("frequency", "start", "end", "today", "expected"),
    [
        (
            "monthly",
            date(2025, 1, 31),
            None,
            date(2025, 5, 1),
            [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)],
        ),
        (
            "quarterly",
            date(2025, 1, 15),
            date(2025, 10, 15),  # the end is not a period of its own
            date(2026, 1, 1),
            [date(2025, 1, 15), date(2025, 4, 15), date(2025, 7, 15)],
        ),
        (
            "yearly",
            date(2024, 2, 29),
            None,
            date(2026, 3, 1),
            [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28)],
        ),
        ("monthly", date(2025, 1, 10), None, date(2025, 1, 9), []),
    ],
)
def test_periods_come_from_rrule(
    frequency: str, start: date, end: date | None, today: date, expected: list[date]
) -> None:
    assert periods_due(frequency, start, end, today) == expected


def recurring(make_order: Any, **settings: Any) -> OrderSnapshot:
    order: OrderSnapshot = make_order(
        recurring={"frequency": "monthly", "start": "2025-01-15", **settings}
    )
    return order


async def test_one_invoice_per_period_however_often_the_job_runs(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    order = recurring(make_order, end="2025-04-01")
    await order_invoicing.order_known(
        uow, confirmed(order), order, today=date(2025, 1, 2), default_policy=DEFAULT
    )
    first = await run_recurring(uow, date(2025, 2, 20))
    assert [(o, p) for o, p, _ in first.issued] == [
        (order.order_id, date(2025, 1, 15)),
        (order.order_id, date(2025, 2, 15)),
    ]
    assert all(i.totals.gross == order.totals.gross for _, _, i in first.issued)
    assert (await run_recurring(uow, date(2025, 2, 20))).issued == []  # run again: nothing
    later = await run_recurring(uow, date(2025, 12, 31))
    assert [p for _, p, _ in later.issued] == [date(2025, 3, 15)]  # ends before 1 April
    assert len(uow.invoices.rows) == 3
    periods = [event.data.period_start for event in uow.events]
    assert periods == [date(2025, 1, 15), date(2025, 2, 15), date(2025, 3, 15)]

    # Completing a recurring order invoices nothing more: it is billed per period.
    done = await order_invoicing.order_completed(
        uow, completed(order), order, today=date(2025, 12, 31), default_policy=DEFAULT
    )
    assert done is None


async def test_drafts_and_cancelled_orders_get_no_recurring_invoice(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    draft, cancelled = recurring(make_order), recurring(make_order)
    today = date(2025, 3, 1)
    created = order_event(EventType.ORDER_CREATED, draft)
    await order_invoicing.order_known(
        uow, created, draft, today=today, default_policy=DEFAULT, status="draft"
    )
    await order_invoicing.order_known(
        uow, confirmed(cancelled), cancelled, today=today, default_policy=DEFAULT
    )
    await order_invoicing.order_cancelled(uow, cancelled.order_id)
    assert (await run_recurring(uow, today)).issued == []


async def test_a_paused_schedule_skips_its_periods_and_an_ended_one_issues_no_more(
    make_order: Any,
) -> None:
    uow = FakeUnitOfWork()
    order = recurring(make_order)  # monthly from 15 January 2025, open-ended
    await order_invoicing.order_known(
        uow, confirmed(order), order, today=date(2025, 1, 2), default_policy=DEFAULT
    )
    await run_recurring(uow, date(2025, 1, 20))  # January
    paused = await schedules.move(uow, order.order_id, "pause", date(2025, 2, 1))
    assert paused.schedule.status is ScheduleStatus.PAUSED
    assert (await run_recurring(uow, date(2025, 3, 20))).issued == []  # February, March skipped
    with pytest.raises(ScheduleRefused):
        await schedules.move(uow, order.order_id, "pause", date(2025, 3, 21))
    await schedules.move(uow, order.order_id, "resume", date(2025, 4, 1))
    resumed = await run_recurring(uow, date(2025, 4, 20))
    assert [p for _, p, _ in resumed.issued] == [date(2025, 4, 15)]  # never caught up
    await schedules.move(uow, order.order_id, "end", date(2025, 6, 1))
    ended = await run_recurring(uow, date(2025, 12, 31))
    assert [p for _, p, _ in ended.issued] == [date(2025, 5, 15)]  # none from 1 June
    for how in ("pause", "resume", "end"):
        with pytest.raises(ScheduleRefused):
            await schedules.move(uow, order.order_id, how, date(2026, 1, 1))
    moves = [e for e in uow.events if e.type.startswith("suite.recurring_schedule.")]
    assert [(e.type, e.data.status, e.data.ends_on) for e in moves] == [
        (EventType.RECURRING_SCHEDULE_PAUSED, "paused", None),
        (EventType.RECURRING_SCHEDULE_RESUMED, "active", None),
        (EventType.RECURRING_SCHEDULE_ENDED, "ended", date(2025, 6, 1)),
    ]


async def test_only_a_recurring_order_has_a_schedule(make_order: Any) -> None:
    uow = FakeUnitOfWork()
    order = make_order()
    await order_invoicing.order_known(
        uow, confirmed(order), order, today=date(2025, 1, 2), default_policy=DEFAULT
    )
    with pytest.raises(schedules.NotRecurring):
        await schedules.move(uow, order.order_id, "pause", date(2025, 2, 1))
    with pytest.raises(order_invoicing.OrderUnknown):
        await schedules.schedule_of(uow, "nobody")
