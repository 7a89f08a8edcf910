"""Stock levels and their ledger (stock movements) in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from inventory.adapters.reorder_points import effective_point
from inventory.adapters.rows import WarehouseRepository, record_of
from inventory.adapters.tables import stock_levels, stock_movements
from inventory.domain.model import MAIN_WAREHOUSE, MovementKind, StockLevel
from inventory.domain.purchasing import ReorderPoint
from inventory.domain.records import Movement, StockChange
from inventory.service_layer.ports import Page

# Every stock movement reads, locks and writes its level and checks it against the reorder
# point: statements built once (building them per call cost more than sending them).
_HERE = (
    stock_levels.c.warehouse == bindparam("level_warehouse"),  # not a column's name: an
    stock_levels.c.sku == bindparam("level_sku"),  # UPDATE keeps those for its SET clause
)
_POINT_OF_LEVEL = effective_point(bindparam("level_sku"), bindparam("level_warehouse"))
_NO_LONGER_LOW = (
    update(stock_levels).where(*_HERE, stock_levels.c.low_since.is_not(None)).values(low_since=None)
)
_NOW_LOW = (
    update(stock_levels)
    .where(*_HERE, stock_levels.c.low_since.is_(None))
    .values(low_since=func.now())
    .returning(stock_levels.c.sku)
)
_LEVEL = select(stock_levels).where(*_HERE)
_ADD_MOVEMENT = stock_movements.insert()  # the values as parameters
_SAVE_LEVEL = (
    update(stock_levels)
    .where(*_HERE)
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"), updated_at=func.now())
)
# Levels locked in one order for every locker (the `places` parameter: (warehouse, sku) pairs).
_LOCK_IN = (
    select(stock_levels)
    .where(
        tuple_(stock_levels.c.warehouse, stock_levels.c.sku).in_(
            bindparam("places", expanding=True)
        )
    )
    .order_by(stock_levels.c.warehouse, stock_levels.c.sku)
    .with_for_update()
)


def _level(row: Row[Any]) -> StockLevel:
    return record_of(StockLevel, row)


def _movement(row: Row[Any]) -> Movement:
    return record_of(Movement, row, kind=MovementKind(row.kind))


class SqlStockLevelRepository(WarehouseRepository):
    async def ensure(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> None:
        await self.session.execute(
            insert(stock_levels).values(warehouse=warehouse, sku=sku).on_conflict_do_nothing()
        )

    async def get(self, sku: str, warehouse: str = MAIN_WAREHOUSE) -> StockLevel | None:
        where = {"level_sku": sku, "level_warehouse": warehouse}
        row = (await self.session.execute(_LEVEL, where)).first()
        return _level(row) if row is not None else None

    async def lock(
        self, skus: Iterable[str], warehouse: str = MAIN_WAREHOUSE
    ) -> dict[str, StockLevel]:
        """SELECT … ORDER BY sku FOR UPDATE.

        PostgreSQL locks the rows as the sorted result is produced, so two transactions asking
        for overlapping SKUs always queue in the same order instead of deadlocking.
        """
        locked = await self.lock_in((warehouse, sku) for sku in skus)
        return {sku: level for (_warehouse, sku), level in locked.items()}

    async def lock_in(self, places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StockLevel]:
        """SELECT … ORDER BY warehouse, sku FOR UPDATE: one order for every locker."""
        wanted = sorted(set(places))
        if not wanted:
            return {}
        rows = await self.session.execute(_LOCK_IN, {"places": wanted})
        return {(row.warehouse, row.sku): _level(row) for row in rows}

    async def held_in(self, warehouse: str) -> list[StockLevel]:
        rows = await self.session.execute(
            select(stock_levels)
            .where(
                stock_levels.c.warehouse == warehouse,
                or_(stock_levels.c.on_hand > 0, stock_levels.c.reserved > 0),
            )
            .order_by(stock_levels.c.sku)
        )
        return [_level(row) for row in rows]

    async def save(self, level: StockLevel) -> None:
        await self.session.execute(
            _SAVE_LEVEL,
            {
                "level_sku": level.sku,
                "level_warehouse": level.warehouse,
                "on_hand": level.on_hand,
                "reserved": level.reserved,
            },
        )

    async def dropped_below_reorder_point(self, level: StockLevel) -> ReorderPoint | None:
        where = {"level_sku": level.sku, "level_warehouse": level.warehouse}
        row = (await self.session.execute(_POINT_OF_LEVEL, where)).first()
        if row is None:
            return None  # no reorder point: never low
        if level.available >= row.reorder_point:
            await self.session.execute(_NO_LONGER_LOW, where)
            return None
        if (await self.session.execute(_NOW_LOW, where)).first() is None:
            return None  # it was below already
        return ReorderPoint(row.sku, row.reorder_point, row.reorder_quantity)

    async def add_movement(self, level: StockLevel, change: StockChange) -> None:
        await self.session.execute(_ADD_MOVEMENT, change.entry(level))

    async def movements(
        self, sku: str, *, limit: int, after_id: int | None, warehouse: str = MAIN_WAREHOUSE
    ) -> Page[Movement]:
        query = (
            select(stock_movements)
            .where(stock_movements.c.sku == sku, stock_movements.c.warehouse == warehouse)
            .order_by(stock_movements.c.id)
            .limit(limit + 1)
        )
        if after_id is not None:
            query = query.where(stock_movements.c.id > after_id)
        rows = (await self.session.execute(query)).all()
        return [_movement(row) for row in rows[:limit]], len(rows) > limit
