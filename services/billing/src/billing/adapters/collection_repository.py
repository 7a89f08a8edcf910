"""PostgreSQL storage of the daily collection run and the steps invoices reached."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.payment_tables import collection_runs, collection_steps
from billing.adapters.tables import invoices
from billing.domain.dunning import Receivable, Step
from billing.domain.payment import OPEN_STATUSES
from pricing import in_currency
from servicekit.unit_of_work import SqlRepository


class SqlCollection(SqlRepository):
    async def claim_day(self, day: date) -> bool:
        claimed = await self.session.execute(
            insert(collection_runs)
            .values(day=day, overdue=0, reminders=0)
            .on_conflict_do_nothing(index_elements=["day"])
            .returning(collection_runs.c.day)
        )
        return claimed.first() is not None

    async def finish_day(self, day: date, *, overdue: int, reminders: int) -> None:
        await self.session.execute(
            update(collection_runs)
            .where(collection_runs.c.day == day)
            .values(overdue=overdue, reminders=reminders)
        )

    async def past_due(self, day: date) -> list[Receivable]:
        last = (
            select(collection_steps.c.invoice_id, func.max(collection_steps.c.step).label("last"))
            .group_by(collection_steps.c.invoice_id)
            .subquery("last_step")
        )
        query = (
            select(invoices, last.c.last)
            .outerjoin(last, last.c.invoice_id == invoices.c.id)
            .where(
                invoices.c.status.in_([status.value for status in OPEN_STATUSES]),
                invoices.c.due_date < day,
            )
            .order_by(invoices.c.due_date, invoices.c.number)
            .with_for_update(of=invoices)
        )
        return [
            Receivable(
                invoice_id=row.id,
                number=row.number,
                order_id=row.order_id,
                customer_id=row.customer_id,
                customer_name=row.customer_name,
                customer_email=row.customer_email,
                currency=row.currency,
                due_date=row.due_date,
                balance=in_currency(
                    row.gross_total - row.paid_total - row.credit_applied, row.currency
                ),
                last_step=row.last,
            )
            for row in (await self.session.execute(query)).all()
        ]

    async def add_step(self, step: Step) -> None:
        await self.session.execute(
            collection_steps.insert().values(
                invoice_id=step.invoice_id,
                step=step.step,
                name=step.name,
                reached_on=step.reached_on,
                days_past_due=step.days_past_due,
            )
        )

    async def steps(self, invoice_id: str) -> list[Step]:
        query = (
            select(collection_steps)
            .where(collection_steps.c.invoice_id == invoice_id)
            .order_by(collection_steps.c.step)
        )
        return [
            Step(row.invoice_id, row.step, row.name, row.reached_on, row.days_past_due)
            for row in (await self.session.execute(query)).all()
        ]
