"""Stock levels and their ledger (stock movements) in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Update,
    bindparam,
    func,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from inventory.adapters.reorder_points import effective_point
from inventory.adapters.rows import WarehouseRepository, record_of
from inventory.adapters.tables import stock_levels, stock_movements
from inventory.domain.model import MAIN_WAREHOUSE, MovementKind, StockLevel
from inventory.domain.purchasing import ReorderPoint
from inventory.domain.records import Move, Movement, StockChange
from inventory.service_layer.ports import Page
from servicekit.db import as_arrays, unnested

# Every stock movement reads, locks and writes its level and checks it against the reorder
# point: statements built once (building them per call cost more than sending them).
_HERE = (
    stock_levels.c.warehouse == bindparam("level_warehouse"),  # not a column's name: an
    stock_levels.c.sku == bindparam("level_sku"),  # UPDATE keeps those for its SET clause
)
# A level with the reorder point in force for it (none: NULLs), read once for its events.
_POINT_OF_LEVEL = effective_point(bindparam("level_sku"), bindparam("level_warehouse")).subquery()
_LEVEL_AND_POINT = (
    select(stock_levels, _POINT_OF_LEVEL.c.reorder_point, _POINT_OF_LEVEL.c.reorder_quantity)
    .select_from(stock_levels.outerjoin(_POINT_OF_LEVEL, true()))
    .where(*_HERE)
)
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
# One level locked: its own statement, since the IN list below is expanded (compiled) per call.
_LOCK_ONE = _LEVEL.with_for_update()
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

# Levels saved with their ledger rows, as arrays (`moved_parameters`): one statement for any
# number of them.
_SAVED_COLUMNS = ("warehouse", "sku", "on_hand", "reserved")
_MOVEMENT_COLUMNS = tuple(  # all but the row's id and time, which the database gives
    column.name for column in stock_movements.c if column.name not in ("id", "created_at")
)


def moved_levels(when: ColumnElement[bool] | None = None) -> tuple[Update, Insert]:
    """The UPDATE that saves levels and the INSERT that adds their movements, from
    `moved_parameters`' arrays, each writing only if `when` holds (a condition on the other
    parts of the caller's statement). Neither reads what the other writes: they may be parts of
    one statement."""
    guard = true() if when is None else when
    saved = unnested(stock_levels, _SAVED_COLUMNS, "level")
    save = (
        update(stock_levels)
        .where(stock_levels.c.warehouse == saved.c.warehouse, stock_levels.c.sku == saved.c.sku)
        .where(guard)
        .values(on_hand=saved.c.on_hand, reserved=saved.c.reserved, updated_at=func.now())
    )
    moved = unnested(stock_movements, _MOVEMENT_COLUMNS, "movement")
    ledger = stock_movements.insert().from_select(
        _MOVEMENT_COLUMNS, select(*(moved.c[column] for column in _MOVEMENT_COLUMNS)).where(guard)
    )
    return save, ledger


def moved_parameters(moves: Sequence[Move]) -> dict[str, list[Any]]:
    """The parameters of `moved_levels` for `moves`, in order: each level as its change left
    it, with the change. A level moved more than once comes as a copy per move (its ledger rows
    each tell their own balance) and is saved as the last left it: an UPDATE changes a row once
    per statement."""
    last: dict[tuple[str, str], StockLevel] = {}
    given: set[int] = set()
    for level, _change in moves:
        if id(level) in given:  # every row would tell the balance after the last move
            raise ValueError("a level object moved twice: give a copy as each move left it")
        given.add(id(level))
        last[level.warehouse, level.sku] = level
    saved = (
        {column: getattr(level, column) for column in _SAVED_COLUMNS} for level in last.values()
    )
    entries = (change.entry(level) for level, change in moves)
    return as_arrays(saved, _SAVED_COLUMNS, "level") | as_arrays(
        entries, _MOVEMENT_COLUMNS, "movement"
    )


def _saving_moves() -> Insert:
    save, ledger = moved_levels()
    return ledger.add_cte(save.cte("levels_saved"))


_SAVE_MOVED = _saving_moves()


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
        if len(wanted) == 1:  # most orders: a statement built once, run directly (ADR 51)
            ((warehouse, sku),) = wanted
            where = {"level_sku": sku, "level_warehouse": warehouse}
            rows = await self.session.execute(_LOCK_ONE, where)
        else:
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

    async def get_with_point(
        self, sku: str, warehouse: str = MAIN_WAREHOUSE
    ) -> tuple[StockLevel, ReorderPoint | None] | None:
        where = {"level_sku": sku, "level_warehouse": warehouse}
        row = (await self.session.execute(_LEVEL_AND_POINT, where)).first()
        if row is None:
            return None
        point = (
            None
            if row.reorder_point is None
            else ReorderPoint(sku, row.reorder_point, row.reorder_quantity)
        )
        return _level(row), point

    async def dropped_below_reorder_point(
        self, level: StockLevel, point: ReorderPoint | None
    ) -> bool:
        if point is None:
            return False  # no reorder point: never low
        where = {"level_sku": level.sku, "level_warehouse": level.warehouse}
        if level.available >= point.reorder_point:
            await self.session.execute(_NO_LONGER_LOW, where)
            return False
        # False when it was below already
        return (await self.session.execute(_NOW_LOW, where)).first() is not None

    async def add_movement(self, level: StockLevel, change: StockChange) -> None:
        await self.session.execute(_ADD_MOVEMENT, change.entry(level))

    async def save_moved(self, moves: Sequence[Move]) -> None:
        """`save` each level and `add_movement` its change, in one statement."""
        if moves:
            await self.session.execute(_SAVE_MOVED, moved_parameters(moves))

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
