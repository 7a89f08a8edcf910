"""The order snapshots delivery notes print from, on SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert

from contracts.common import OrderSnapshot
from documents.adapters.tables import order_snapshots
from servicekit.unit_of_work import SqlRepository


class SqlOrderSnapshotRepository(SqlRepository):
    async def get(self, order_id: str) -> OrderSnapshot | None:
        query = select(order_snapshots.c.snapshot).where(order_snapshots.c.order_id == order_id)
        found = (await self.session.execute(query)).scalar_one_or_none()
        return OrderSnapshot.model_validate(found) if found is not None else None

    async def keep(self, snapshot: OrderSnapshot, sequence: int | None) -> bool:
        values = {
            "order_id": snapshot.order_id,
            "snapshot": snapshot.model_dump(mode="json"),
            "sequence": sequence,
        }
        statement = insert(order_snapshots).values(**values)
        kept = order_snapshots.c.sequence
        upsert = statement.on_conflict_do_update(
            index_elements=[order_snapshots.c.order_id],
            set_={
                "snapshot": statement.excluded.snapshot,
                "sequence": statement.excluded.sequence,
                "updated_at": func.now(),
            },
            # forwards only: an event without a sequence, or a kept one without, always applies
            where=or_(
                kept.is_(None),
                statement.excluded.sequence.is_(None),
                statement.excluded.sequence > kept,
            ),
        ).returning(order_snapshots.c.order_id)
        return (await self.session.execute(upsert)).first() is not None
