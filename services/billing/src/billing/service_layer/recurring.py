"""Recurring invoices: an open (or concluded) order with recurring billing settings gets one
invoice of all its lines per period (monthly, quarterly, yearly from its start, until its end).

Exactly one per order and period however often the job runs and with any number of workers:
each order is locked while its periods are invoiced, and a unique key on (order, period)
backs that up. The date is the caller's (the job's clock), so tests choose it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain import invoicing_policy as policies
from billing.domain.model import Invoice, InvoiceLine, UninvoiceableOrder
from billing.domain.recurrence import periods_due
from billing.service_layer.invoicing import issue_for
from billing.service_layer.order_invoicing import stated_lines
from billing.service_layer.schedules import SchedulesUnitOfWork
from servicekit.mapping import copied

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecurringRun:
    issued: list[tuple[str, date, Invoice]]  # order id, period start, invoice
    refused: list[tuple[str, str]]  # order id, why


async def run_recurring(uow: SchedulesUnitOfWork, today: date) -> RecurringRun:
    """Issue every recurring invoice due by `today` that is not issued yet."""
    issued: list[tuple[str, date, Invoice]] = []
    refused: list[tuple[str, str]] = []
    for order_id in await uow.billable_orders.recurring_candidates():
        billable = await uow.billable_orders.lock(order_id)  # other workers wait here
        order = billable.order
        if order is None or order.recurring is None or billable.status == "cancelled":
            continue
        settings = order.recurring
        done = await uow.billable_orders.recurring_periods(order_id)
        schedule = await uow.recurring_schedules.get(order_id)  # paused, ended: skipped
        due = [
            period
            for period in periods_due(settings.frequency.value, settings.start, settings.end, today)
            if period not in done and schedule.invoices(period)
        ]
        if not due:
            continue
        try:
            lines = stated_lines(order)
        except UninvoiceableOrder as exc:
            log.warning("recurring order %s cannot be invoiced: %s", order_id, exc)
            refused.append((order_id, str(exc)))
            continue
        every_line = {line.line_no: line.quantity for line in lines}
        for period in due:
            invoice = await issue_for(
                uow,
                None,
                order,
                [
                    copied(InvoiceLine, line)
                    for line in policies.invoice_lines(
                        lines, {}, every_line, currency=order.currency
                    )
                ],
                invoiced_before=Decimal(0),
                today=today,
                period_start=period,
            )
            await uow.billable_orders.add_recurring(order_id, period, invoice.id)
            issued.append((order_id, period, invoice))
    return RecurringRun(issued=issued, refused=refused)
