"""An order's recurring invoicing schedule: read it, pause, resume or end it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from billing.domain.schedules import ScheduleRefused, ScheduleStatus
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep
from billing.service_layer import order_invoicing, schedules
from contracts.common import RecurrenceFrequency
from servicekit.api import NO_NUL, ErrorTable, RequestBody, problem_responses, problems_from
from servicekit.http import Conflict, NotFound
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["recurring invoices"], dependencies=ACCOUNTING_FOR_CHANGES)

OrderId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]

REFUSALS: ErrorTable = {
    order_invoicing.OrderUnknown: lambda exc: NotFound(f"billing knows no order {exc}"),
    schedules.NotRecurring: Conflict,
    ScheduleRefused: Conflict,
}


class PauseRead(BaseModel):
    paused_on: date
    resumed_on: date | None


class RecurringScheduleRead(BaseModel):
    order_id: str
    status: ScheduleStatus
    frequency: RecurrenceFrequency
    start: date
    end: date | None = Field(description="The order's own end (exclusive), if it has one")
    ends_on: date | None = Field(description="Ended: no period starts on or after it")
    pauses: list[PauseRead] = Field(description="No period starting within a pause is invoiced")

    @classmethod
    def of(cls, view: schedules.ScheduleView) -> RecurringScheduleRead:
        return cls(
            order_id=view.order.order_id,
            status=view.schedule.status,
            frequency=view.settings.frequency,
            start=view.settings.start,
            end=view.settings.end,
            ends_on=view.schedule.ends_on,
            pauses=[
                PauseRead(paused_on=p.paused_on, resumed_on=p.resumed_on)
                for p in view.schedule.pauses
            ],
        )


class ScheduleMove(RequestBody):
    on: date | None = Field(default=None, description="The day it takes effect (default today)")


PATH = "/orders/{order_id}/recurring-schedule"


@router.get(PATH, response_model=RecurringScheduleRead, responses=problem_responses(404, 409))
async def get_recurring_schedule(order_id: OrderId, uow: UnitOfWorkDep) -> RecurringScheduleRead:
    """The order's recurring invoicing: active, paused or ended (409: not a recurring order)."""
    with problems_from(REFUSALS):
        return RecurringScheduleRead.of(await schedules.schedule_of(uow, order_id))


async def _move(
    uow: UnitOfWorkDep, order_id: str, how: str, body: ScheduleMove | None
) -> RecurringScheduleRead:
    on = body.on if body is not None and body.on is not None else datetime.now(UTC).date()
    async with uow.session.begin():
        with problems_from(REFUSALS):
            view = await schedules.move(
                uow, order_id, how, on, correlation_id=current_correlation_id()
            )
    return RecurringScheduleRead.of(view)


MOVED = {"response_model": RecurringScheduleRead, "responses": problem_responses(404, 409, 422)}


@router.post(f"{PATH}/pause", **MOVED)  # type: ignore[arg-type]
async def pause_recurring_schedule(
    order_id: OrderId, uow: UnitOfWorkDep, body: ScheduleMove | None = None
) -> RecurringScheduleRead:
    """No period starting from `on` is invoiced until resumed (409 unless active)."""
    return await _move(uow, order_id, "pause", body)


@router.post(f"{PATH}/resume", **MOVED)  # type: ignore[arg-type]
async def resume_recurring_schedule(
    order_id: OrderId, uow: UnitOfWorkDep, body: ScheduleMove | None = None
) -> RecurringScheduleRead:
    """Periods starting from `on` are invoiced again; those of the pause never are (409 unless
    paused)."""
    return await _move(uow, order_id, "resume", body)


@router.post(f"{PATH}/end", **MOVED)  # type: ignore[arg-type]
async def end_recurring_schedule(
    order_id: OrderId, uow: UnitOfWorkDep, body: ScheduleMove | None = None
) -> RecurringScheduleRead:
    """No period starting on or after `on` is invoiced, for good (409 once ended)."""
    return await _move(uow, order_id, "end", body)
