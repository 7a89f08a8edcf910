"""The stage pipeline on PostgreSQL (replaced as a whole)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from orders.adapters.tables import stages
from orders.domain.pipeline import Stage
from servicekit.unit_of_work import SqlRepository


class SqlStageRepository(SqlRepository):
    async def all(self) -> list[Stage]:
        rows = await self.session.execute(select(stages).order_by(stages.c.position))
        return [
            Stage(
                key=row.key,
                name=row.name,
                position=row.position,
                required_fields=tuple(row.required_fields),
                allowed_roles=tuple(row.allowed_roles),
                is_approval=row.is_approval,
            )
            for row in rows
        ]

    async def replace(self, new: list[Stage]) -> None:
        # One administrator's list at a time: a concurrent replacement waits for this one.
        await self.session.execute(select(func.pg_advisory_xact_lock(0x5354414745)))
        await self.session.execute(delete(stages))
        if new:
            await self.session.execute(
                stages.insert(),
                [
                    {
                        "key": stage.key,
                        "name": stage.name,
                        "position": stage.position,
                        "required_fields": list(stage.required_fields),
                        "allowed_roles": list(stage.allowed_roles),
                        "is_approval": stage.is_approval,
                    }
                    for stage in new
                ],
            )
