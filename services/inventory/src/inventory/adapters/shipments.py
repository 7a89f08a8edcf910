"""Shipments and their lines in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.engine import Row

from inventory.adapters.rows import WarehouseRepository, record_of
from inventory.adapters.tables import shipment_lines, shipments
from inventory.domain.model import MAIN_WAREHOUSE
from inventory.domain.records import Carriage, Shipment
from inventory.service_layer.ports import Page

_ADD_SHIPMENT = shipments.insert().returning(shipments.c.created_at)  # the values as parameters


class SqlShipmentRepository(WarehouseRepository):
    async def add(
        self,
        *,
        shipment_id: str,
        order_id: str,
        lines: Mapping[str, Decimal],
        fully_shipped: bool,
        carriage: Carriage | None = None,
        warehouse: str = MAIN_WAREHOUSE,
    ) -> datetime:
        carriage = carriage or Carriage()
        created_at: datetime = (
            await self.session.execute(
                _ADD_SHIPMENT,
                {
                    "id": shipment_id,
                    "order_id": order_id,
                    "warehouse": warehouse,
                    "fully_shipped": fully_shipped,
                    "carrier": carriage.carrier,
                    "tracking_number": carriage.tracking_number,
                    "shipping_date": carriage.shipping_date,
                },
            )
        ).scalar_one()
        await self.session.execute(
            shipment_lines.insert(),
            [{"shipment_id": shipment_id, "sku": sku, "quantity": q} for sku, q in lines.items()],
        )
        return created_at

    async def get(self, shipment_id: str, *, for_update: bool = False) -> Shipment | None:
        query = select(shipments).where(shipments.c.id == shipment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return (await self._with_lines([row]))[0]

    async def mark_delivered(self, shipment_id: str, delivered_at: datetime) -> None:
        await self.session.execute(
            update(shipments).where(shipments.c.id == shipment_id).values(delivered_at=delivered_at)
        )

    async def page(
        self, *, limit: int, order_id: str | None, after: tuple[datetime, str] | None
    ) -> Page[Shipment]:
        query = select(shipments).order_by(shipments.c.created_at, shipments.c.id).limit(limit + 1)
        if order_id is not None:
            query = query.where(shipments.c.order_id == order_id)
        if after is not None:
            query = query.where(tuple_(shipments.c.created_at, shipments.c.id) > tuple_(*after))
        rows = list((await self.session.execute(query)).all())
        return await self._with_lines(rows[:limit]), len(rows) > limit

    async def _with_lines(self, rows: list[Row[Any]]) -> list[Shipment]:
        ids = [row.id for row in rows]
        lines: dict[str, dict[str, Decimal]] = {shipment_id: {} for shipment_id in ids}
        if ids:
            for shipment_id, sku, amount in (
                await self.session.execute(
                    select(
                        shipment_lines.c.shipment_id,
                        shipment_lines.c.sku,
                        shipment_lines.c.quantity,
                    )
                    .where(shipment_lines.c.shipment_id.in_(ids))
                    .order_by(shipment_lines.c.shipment_id, shipment_lines.c.sku)
                )
            ).all():
                lines[shipment_id][sku] = amount
        return [record_of(Shipment, row, lines=lines[row.id]) for row in rows]
