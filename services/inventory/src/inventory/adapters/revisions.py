"""What revisions of reserved orders leave waiting, and their reservation lines, in SQL."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from inventory.adapters.rows import WarehouseRepository
from inventory.adapters.tables import order_demands, reservation_lines, reservation_waits
from inventory.domain.model import DemandStatus, ReservationLine
from inventory.domain.revisions import Wait

# What waits for an order in a warehouse, by SKU; built once (a shipment reads it with the stock
# row locked).
_WAITS = (
    select(reservation_waits.c.sku, reservation_waits.c.quantity)
    .where(
        reservation_waits.c.order_id == bindparam("order_id"),
        reservation_waits.c.warehouse == bindparam("warehouse"),
    )
    .order_by(reservation_waits.c.sku)
)
_WAITS_LOCKED = _WAITS.with_for_update()


class SqlRevisionRepository(WarehouseRepository):
    async def applied_revision(self, order_id: str) -> int:
        found = await self.session.scalar(
            select(order_demands.c.revision).where(order_demands.c.order_id == order_id)
        )
        return int(found or 0)

    async def set_applied_revision(self, order_id: str, revision: int) -> None:
        await self.session.execute(
            update(order_demands)
            .where(order_demands.c.order_id == order_id)
            .values(revision=revision, updated_at=func.now())
        )

    async def waits(self, order_id: str, *, for_update: bool = False) -> dict[str, Decimal]:
        query = _WAITS_LOCKED if for_update else _WAITS
        where = {"order_id": order_id, "warehouse": self.warehouse}
        return {sku: quantity for sku, quantity in await self.session.execute(query, where)}

    async def replace_waits(self, order_id: str, waits: Mapping[str, Decimal]) -> None:
        """Make `waits` (SKU → quantity > 0) all that waits for the order; a SKU still waiting
        keeps its place in the queue."""
        here = (
            reservation_waits.c.order_id == order_id,
            reservation_waits.c.warehouse == self.warehouse,
        )
        await self.session.execute(
            delete(reservation_waits).where(*here, reservation_waits.c.sku.not_in(list(waits)))
        )
        for sku, quantity in sorted(waits.items()):
            statement = insert(reservation_waits).values(
                order_id=order_id, warehouse=self.warehouse, sku=sku, quantity=quantity
            )
            await self.session.execute(
                statement.on_conflict_do_update(
                    constraint="pk_reservation_waits",
                    set_={"quantity": statement.excluded.quantity, "updated_at": func.now()},
                )
            )

    async def drop_wait(self, wait: Wait) -> None:
        await self.session.execute(
            delete(reservation_waits).where(
                reservation_waits.c.order_id == wait.order_id,
                reservation_waits.c.warehouse == self.warehouse,
                reservation_waits.c.sku == wait.sku,
            )
        )

    async def waiting_for(self, skus: Collection[str]) -> list[Wait]:
        """The waits of reserved orders for `skus`, oldest first, locked."""
        if not skus:
            return []
        rows = await self.session.execute(
            select(
                reservation_waits.c.order_id, reservation_waits.c.sku, reservation_waits.c.quantity
            )
            .join(order_demands, order_demands.c.order_id == reservation_waits.c.order_id)
            .where(
                reservation_waits.c.warehouse == self.warehouse,
                reservation_waits.c.sku.in_(sorted(skus)),
                order_demands.c.status == DemandStatus.RESERVED.value,
            )
            .order_by(reservation_waits.c.seq)
            .with_for_update(of=reservation_waits)
        )
        return [Wait(order_id, sku, quantity) for order_id, sku, quantity in rows]

    async def put_line(self, line: ReservationLine) -> None:
        """Write the order's line of its SKU whole (quantity too), adding it if it is new."""
        values = {
            "quantity": line.quantity,
            "shipped_quantity": line.shipped,
            "released_quantity": line.released,
            "status": line.status.value,
        }
        statement = insert(reservation_lines).values(
            order_id=line.order_id, warehouse=line.warehouse, sku=line.sku, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                constraint="pk_reservation_lines", set_={**values, "updated_at": func.now()}
            )
        )
