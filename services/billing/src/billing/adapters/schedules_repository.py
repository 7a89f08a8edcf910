"""PostgreSQL storage of recurring schedules and their pauses."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.order_tables import recurring_pauses, recurring_schedules
from billing.domain.schedules import Pause, Schedule, ScheduleStatus
from servicekit.unit_of_work import SqlRepository


class SqlRecurringSchedules(SqlRepository):
    async def get(self, order_id: str) -> Schedule:
        row = (
            (
                await self.session.execute(
                    select(recurring_schedules).where(recurring_schedules.c.order_id == order_id)
                )
            )
            .mappings()
            .first()
        )
        pauses = (
            await self.session.execute(
                select(recurring_pauses.c.paused_on, recurring_pauses.c.resumed_on)
                .where(recurring_pauses.c.order_id == order_id)
                .order_by(recurring_pauses.c.paused_on)
            )
        ).all()
        return Schedule(
            order_id=order_id,
            status=ScheduleStatus(row["status"]) if row is not None else ScheduleStatus.ACTIVE,
            ends_on=row["ends_on"] if row is not None else None,
            pauses=[Pause(paused_on=p, resumed_on=r) for p, r in pauses],
        )

    async def save(self, schedule: Schedule) -> None:
        values = {"status": schedule.status.value, "ends_on": schedule.ends_on}
        await self.session.execute(
            insert(recurring_schedules)
            .values(order_id=schedule.order_id, **values)
            .on_conflict_do_update(
                index_elements=[recurring_schedules.c.order_id],
                set_={**values, "updated_at": func.now()},
            )
        )
        for pause in schedule.pauses:
            await self.session.execute(
                insert(recurring_pauses)
                .values(
                    order_id=schedule.order_id,
                    paused_on=pause.paused_on,
                    resumed_on=pause.resumed_on,
                )
                .on_conflict_do_update(
                    index_elements=[recurring_pauses.c.order_id, recurring_pauses.c.paused_on],
                    set_={"resumed_on": pause.resumed_on},
                )
            )
