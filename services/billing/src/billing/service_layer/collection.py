"""The daily collection run: open invoices past their due date are marked overdue, and reach
the configured dunning levels; documents e-mails the invoice again for each level.

Once per day whatever the number of workers: the run claims its day (a row keyed by the date)
in the transaction that does the work, so a second worker waits for the first to commit and
then finds the day taken; if the first fails, its claim rolls back with its work and the next
attempt runs the day again. The day comes from the caller's clock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from billing.domain.dunning import DunningLevel, Receivable, Step, next_steps
from billing.service_layer.events import SOURCE
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import EventType, new_event
from contracts import events as e
from contracts.common import CustomerRef

log = logging.getLogger(__name__)


class CollectionStore(Protocol):
    async def claim_day(self, day: date) -> bool:
        """Claim `day`'s run until commit; False when it already ran."""
        ...

    async def finish_day(self, day: date, *, overdue: int, reminders: int) -> None: ...

    async def past_due(self, day: date) -> list[Receivable]:
        """Open invoices due before `day`, with the last step each reached, locked."""
        ...

    async def add_step(self, step: Step) -> None: ...

    async def steps(self, invoice_id: str) -> list[Step]: ...


class CollectionUnitOfWork(UnitOfWork, Protocol):
    @property
    def collection(self) -> CollectionStore: ...


@dataclass(frozen=True)
class CollectionRun:
    day: date
    ran: bool  # False: the day had run already
    overdue: int = 0
    reminders: int = 0


async def run_collection(
    uow: CollectionUnitOfWork,
    day: date,
    levels: Sequence[DunningLevel],
    *,
    correlation_id: str | None = None,
) -> CollectionRun:
    """Mark `day`'s newly overdue invoices and the dunning levels reached, once per day."""
    if not await uow.collection.claim_day(day):
        log.info("collection run of %s: already done", day)
        return CollectionRun(day, ran=False)
    overdue = reminders = 0
    for receivable in await uow.collection.past_due(day):
        for step, level in next_steps(receivable, day, levels):
            await uow.collection.add_step(step)
            if level is None:
                overdue += 1
                payload: e.InvoiceOverdue | e.DunningLevelReached = _overdue(receivable, step)
                event_type = EventType.INVOICE_OVERDUE
            else:
                reminders += 1
                payload = _dunning(receivable, step, level)
                event_type = EventType.DUNNING_LEVEL_REACHED
            await uow.record(
                new_event(
                    event_type,
                    payload,
                    source=SOURCE,
                    subject=receivable.order_id,
                    correlation_id=correlation_id,
                )
            )
    await uow.collection.finish_day(day, overdue=overdue, reminders=reminders)
    log.info("collection run of %s: %d overdue, %d reminders", day, overdue, reminders)
    return CollectionRun(day, ran=True, overdue=overdue, reminders=reminders)


def _overdue(receivable: Receivable, step: Step) -> e.InvoiceOverdue:
    return e.InvoiceOverdue(
        invoice_id=receivable.invoice_id,
        invoice_number=receivable.number,
        order_id=receivable.order_id,
        customer_id=receivable.customer_id,
        currency=receivable.currency,
        due_date=receivable.due_date,
        balance=receivable.balance,
        days_past_due=step.days_past_due,
        overdue_on=step.reached_on,
    )


def _dunning(receivable: Receivable, step: Step, level: DunningLevel) -> e.DunningLevelReached:
    return e.DunningLevelReached(
        invoice_id=receivable.invoice_id,
        invoice_number=receivable.number,
        order_id=receivable.order_id,
        customer=CustomerRef(
            id=receivable.customer_id,
            name=receivable.customer_name,
            email=receivable.customer_email,
        ),
        currency=receivable.currency,
        due_date=receivable.due_date,
        balance=receivable.balance,
        days_past_due=step.days_past_due,
        level=level.level,
        name=level.name,
        text=level.text,
        reached_on=step.reached_on,
    )
