"""The order snapshots delivery notes print from, on SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from contracts.common import OrderSnapshot
from documents.adapters.tables import order_snapshots
from servicekit.unit_of_work import SqlRepository


def _keep() -> ReturningInsert[tuple[str]]:
    """Insert an order's snapshot, or replace the kept one by a later one; the order's id comes
    back when it was kept. The values are the parameters `order_id`, `snapshot`, `sequence`."""
    statement = insert(order_snapshots)
    kept = order_snapshots.c.sequence
    return statement.on_conflict_do_update(
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


# Built once: building them for every event cost more than sending them.
_KEEP = _keep()
_SNAPSHOT = select(order_snapshots.c.snapshot).where(
    order_snapshots.c.order_id == bindparam("order_id")
)


class SqlOrderSnapshotRepository(SqlRepository):
    async def get(self, order_id: str) -> OrderSnapshot | None:
        found = (await self.session.execute(_SNAPSHOT, {"order_id": order_id})).scalar_one_or_none()
        return OrderSnapshot.model_validate(found) if found is not None else None

    async def keep(self, snapshot: OrderSnapshot, sequence: int | None) -> bool:
        values = {
            "order_id": snapshot.order_id,
            "snapshot": snapshot.model_dump(mode="json"),
            "sequence": sequence,
        }
        return (await self.session.execute(_KEEP, values)).first() is not None
