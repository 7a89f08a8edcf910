"""The recurring invoices job in the worker: a background loop issuing the periods due."""

from __future__ import annotations

import logging

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.config import BillingSettings
from billing.entrypoints.worker_jobs import Clock, WorkerJob
from billing.service_layer.recurring import run_recurring

log = logging.getLogger(__name__)


class RecurringLoop(WorkerJob):
    """Every `recurring_interval_seconds`, issues the recurring invoices due by the clock's day
    (each period once, whatever the number of workers)."""

    def __init__(self, settings: BillingSettings, clock: Clock) -> None:
        async def issue_due(uow: SqlUnitOfWork) -> None:
            run = await run_recurring(uow, clock().date())
            for order_id, period, invoice in run.issued:
                log.info("recurring invoice %s: order %s, %s", invoice.number, order_id, period)

        super().__init__(
            "billing-recurring",
            issue_due,
            enabled=settings.recurring_enabled,
            interval=settings.recurring_interval_seconds,
            logger=log,
        )
