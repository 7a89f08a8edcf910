"""The schedule of an order's recurring invoices: active, paused or ended. Pure Python.

- pausing on a day invoices no period starting from that day until it is resumed (those
  periods are skipped for good, never caught up);
- ending on a day invoices no period starting on or after it, for good;
- a paused schedule may be resumed or ended; an ended one changes no more (409).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from billing.domain.model import BillingError


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class ScheduleRefused(BillingError):
    """The schedule cannot make that move from its state; nothing changed (409)."""


@dataclass
class Pause:
    paused_on: date
    resumed_on: date | None = None

    def covers(self, period: date) -> bool:
        return self.paused_on <= period and (self.resumed_on is None or period < self.resumed_on)


@dataclass
class Schedule:
    order_id: str
    status: ScheduleStatus = ScheduleStatus.ACTIVE
    ends_on: date | None = None
    pauses: list[Pause] = field(default_factory=list)

    def invoices(self, period: date) -> bool:
        """Whether the period starting on `period` is invoiced by this schedule."""
        if self.ends_on is not None and period >= self.ends_on:
            return False
        return not any(pause.covers(period) for pause in self.pauses)

    def pause(self, on: date) -> None:
        if self.status is not ScheduleStatus.ACTIVE:
            raise ScheduleRefused(f"the recurring invoicing is {self.status.value}: cannot pause")
        if any(pause.paused_on == on for pause in self.pauses):
            raise ScheduleRefused(f"the recurring invoicing was already paused on {on}")
        self.pauses.append(Pause(paused_on=on))
        self.status = ScheduleStatus.PAUSED

    def resume(self, on: date) -> None:
        if self.status is not ScheduleStatus.PAUSED:
            raise ScheduleRefused(f"the recurring invoicing is {self.status.value}: cannot resume")
        current = self.pauses[-1]
        current.resumed_on = max(on, current.paused_on)
        self.status = ScheduleStatus.ACTIVE

    def end(self, on: date) -> None:
        if self.status is ScheduleStatus.ENDED:
            raise ScheduleRefused("the recurring invoicing has ended already")
        if self.status is ScheduleStatus.PAUSED:
            self.pauses[-1].resumed_on = max(on, self.pauses[-1].paused_on)
        self.ends_on = on
        self.status = ScheduleStatus.ENDED
