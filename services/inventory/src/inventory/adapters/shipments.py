"""Shipments and their lines in SQL."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Table,
    bindparam,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.sql.dml import ReturningInsert

from inventory.adapters.reservations import lines_saved
from inventory.adapters.rows import WarehouseRepository, record_of
from inventory.adapters.stock_levels import moved_levels
from inventory.adapters.tables import shipment_lines, shipments
from inventory.domain.records import NewShipment, Shipment
from inventory.service_layer.ports import Page
from servicekit.db import as_arrays, unnested, with_parts
from servicekit.outbox import numbered_outbox_insert

# A shipment and its lines in one statement, built once; its values are `shipment_<column>`
# and its lines the arrays `shipped_sku` and `shipped_quantity` (`shipment_parameters`).
_SHIPMENT_COLUMNS = (
    "id",
    "order_id",
    "warehouse",
    "fully_shipped",
    "carrier",
    "tracking_number",
    "shipping_date",
)
_SHIPPED_COLUMNS = ("sku", "quantity")


def shipment_added() -> tuple[ReturningInsert[Any], Insert]:
    """The INSERT of a shipment (returning its creation time) and the INSERT of its lines: parts
    of one statement (the lines' foreign key is checked at its end)."""
    shipment = shipments.insert().values(
        {
            column: bindparam(f"shipment_{column}", type_=shipments.c[column].type)
            for column in _SHIPMENT_COLUMNS
        }
    )
    shipped = unnested(shipment_lines, _SHIPPED_COLUMNS, "shipped")
    lines = shipment_lines.insert().from_select(
        ["shipment_id", *_SHIPPED_COLUMNS],
        select(
            bindparam("shipment_id", type_=shipment_lines.c.shipment_id.type),  # the shipment's
            *(shipped.c[column] for column in _SHIPPED_COLUMNS),
        ),
    )
    return shipment.returning(shipments.c.created_at), lines


def shipment_parameters(shipment: NewShipment) -> dict[str, Any]:
    """The parameters of `shipment_added`."""
    carriage = shipment.carriage
    shipped = ({"sku": sku, "quantity": quantity} for sku, quantity in shipment.lines.items())
    return {
        "shipment_id": shipment.id,
        "shipment_order_id": shipment.order_id,
        "shipment_warehouse": shipment.warehouse,
        "shipment_fully_shipped": shipment.fully_shipped,
        "shipment_carrier": carriage.carrier,
        "shipment_tracking_number": carriage.tracking_number,
        "shipment_shipping_date": carriage.shipping_date,
        **as_arrays(shipped, _SHIPPED_COLUMNS, "shipped"),
    }


def _adding_shipment() -> ReturningInsert[Any]:
    shipment, lines = shipment_added()
    return shipment.add_cte(lines.cte("shipment_lines_added"))


_ADD_SHIPMENT = _adding_shipment()


@functools.cache
def dispatching(outbox: Table, sequences: Table) -> Select[Any]:
    """One statement (built once) that adds a shipment and its lines (`shipment_parameters`),
    writes back the reservation lines it ships from (`saved_line_parameters`), saves the levels
    it takes from with their movements (`moved_parameters`) and records its event
    (`numbered_outbox_row`'s parameters). Its one row: the shipment's creation time.

    Each part writes a table no other part writes or reads (ADR 39, ADR 42)."""
    shipment, lines = shipment_added()
    added = shipment.cte("shipment_added")
    save, ledger = moved_levels()
    parts = {
        "shipment_lines_added": lines,
        "lines_saved": lines_saved(),
        "levels_saved": save,
        "movements_added": ledger,
        "recorded": numbered_outbox_insert(outbox, sequences),
    }
    created_at = select(added.c.created_at).scalar_subquery().label("created_at")
    return with_parts(created_at, parts)


class SqlShipmentRepository(WarehouseRepository):
    async def add(self, shipment: NewShipment) -> datetime:
        parameters = shipment_parameters(shipment)
        created_at: datetime = (await self.session.execute(_ADD_SHIPMENT, parameters)).scalar_one()
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
