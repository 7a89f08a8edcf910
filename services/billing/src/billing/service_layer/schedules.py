"""Pausing, resuming and ending an order's recurring invoices (`recurring` issues them).

Each move locks the order (as the recurring job does while it invoices its periods), so a
period is never issued against a schedule that was just paused or ended, and records its event:
`recurring_schedule.paused`, `.resumed`, `.ended`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from billing.domain.schedules import Schedule
from billing.service_layer.down_payments import event_of
from billing.service_layer.order_invoicing import OrderInvoicingUnitOfWork, OrderUnknown
from contracts import EventType
from contracts import common as c
from contracts import events as e


class RecurringScheduleRepository(Protocol):
    async def get(self, order_id: str) -> Schedule:
        """The order's schedule (active, with no pauses, when it never moved)."""
        ...

    async def save(self, schedule: Schedule) -> None: ...


class SchedulesUnitOfWork(OrderInvoicingUnitOfWork, Protocol):
    @property
    def recurring_schedules(self) -> RecurringScheduleRepository: ...


class NotRecurring(Exception):
    """The order has no recurring billing settings (409)."""


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    order: c.OrderSnapshot

    @property
    def settings(self) -> c.RecurringBilling:
        assert self.order.recurring is not None
        return self.order.recurring


async def _recurring_order(
    uow: SchedulesUnitOfWork, order_id: str, *, lock: bool
) -> c.OrderSnapshot:
    billable = (
        await uow.billable_orders.lock(order_id)
        if lock
        else await uow.billable_orders.get(order_id)
    )
    order = billable.order if billable is not None else None
    if order is None:
        raise OrderUnknown(order_id)
    if order.recurring is None:
        raise NotRecurring(f"order {order.number} is not invoiced per period")
    return order


async def schedule_of(uow: SchedulesUnitOfWork, order_id: str) -> ScheduleView:
    order = await _recurring_order(uow, order_id, lock=False)
    return ScheduleView(await uow.recurring_schedules.get(order_id), order)


MOVES: dict[str, tuple[Callable[[Schedule, date], None], EventType]] = {
    "pause": (Schedule.pause, EventType.RECURRING_SCHEDULE_PAUSED),
    "resume": (Schedule.resume, EventType.RECURRING_SCHEDULE_RESUMED),
    "end": (Schedule.end, EventType.RECURRING_SCHEDULE_ENDED),
}


async def move(
    uow: SchedulesUnitOfWork,
    order_id: str,
    how: str,
    on: date,
    *,
    correlation_id: str | None = None,
) -> ScheduleView:
    """Pause, resume or end (`how`) the order's recurring invoicing on `on` (`ScheduleRefused`,
    409, when its state does not allow it; nothing changes)."""
    order = await _recurring_order(uow, order_id, lock=True)
    schedule = await uow.recurring_schedules.get(order_id)
    step, event_type = MOVES[how]
    step(schedule, on)
    await uow.recurring_schedules.save(schedule)
    payload = e.RecurringScheduleChanged(
        order_id=order_id,
        order_number=order.number,
        status=e.RecurringScheduleStatus(schedule.status.value),
        frequency=order.recurring.frequency.value if order.recurring else None,
        ends_on=schedule.ends_on,
    )
    await uow.record(event_of(None, event_type, payload, order_id, correlation_id))
    return ScheduleView(schedule, order)
