"""Loading, locking and saving the inventory's state with SQLAlchemy Core.

Lock order, everywhere: stock levels (in SKU order) → order demands → reservation lines (see
`service_layer.locking`). Order demands are locked `FOR NO KEY UPDATE`, so the foreign keys of
new reservation lines and shipments (which take `FOR KEY SHARE`) never wait for them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.tables import (
    order_demands,
    products,
    reservation_lines,
    stock_levels,
    stock_movements,
)
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    Backorder,
    DemandStatus,
    LineStatus,
    MovementKind,
    ReservationLine,
    StockLevel,
)

# --- catalogue ----------------------------------------------------------------------------------


async def get_product(
    session: AsyncSession, sku: str, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(products).where(products.c.sku == sku)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def product_kinds(session: AsyncSession, skus: Collection[str]) -> dict[str, str]:
    if not skus:
        return {}
    rows = await session.execute(
        select(products.c.sku, products.c.kind).where(products.c.sku.in_(sorted(skus)))
    )
    return {sku: kind for sku, kind in rows}


# --- stock levels -------------------------------------------------------------------------------


async def ensure_level(session: AsyncSession, sku: str, warehouse: str = MAIN_WAREHOUSE) -> None:
    """Give a product its (empty) stock level in the warehouse, if it has none yet."""
    await session.execute(
        insert(stock_levels).values(warehouse=warehouse, sku=sku).on_conflict_do_nothing()
    )


def _level(row: Row[Any]) -> StockLevel:
    return StockLevel(
        sku=row.sku, on_hand=row.on_hand, reserved=row.reserved, warehouse=row.warehouse
    )


async def get_level(
    session: AsyncSession, sku: str, warehouse: str = MAIN_WAREHOUSE
) -> StockLevel | None:
    row = (
        await session.execute(
            select(stock_levels).where(
                stock_levels.c.warehouse == warehouse, stock_levels.c.sku == sku
            )
        )
    ).first()
    return _level(row) if row is not None else None


async def lock_levels(
    session: AsyncSession, skus: Iterable[str], warehouse: str = MAIN_WAREHOUSE
) -> dict[str, StockLevel]:
    """Lock the stock levels of `skus` (those that exist) in SKU order: SELECT … FOR UPDATE.

    PostgreSQL locks the rows as the sorted result is produced, so two transactions asking for
    overlapping SKUs always queue in the same order instead of deadlocking.
    """
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(
        select(stock_levels)
        .where(stock_levels.c.warehouse == warehouse, stock_levels.c.sku.in_(wanted))
        .order_by(stock_levels.c.sku)
        .with_for_update()
    )
    return {row.sku: _level(row) for row in rows}


async def save_level(session: AsyncSession, level: StockLevel) -> None:
    await session.execute(
        update(stock_levels)
        .where(stock_levels.c.warehouse == level.warehouse, stock_levels.c.sku == level.sku)
        .values(on_hand=level.on_hand, reserved=level.reserved, updated_at=func.now())
    )


async def add_movement(
    session: AsyncSession,
    level: StockLevel,
    kind: MovementKind,
    *,
    on_hand_change: Decimal,
    reserved_change: Decimal,
    reference: str,
    reason: str | None = None,
    order_id: str | None = None,
) -> None:
    """Write one ledger row: the change and the level it left behind (`level` is already after)."""
    primary = (
        reserved_change
        if kind in (MovementKind.RESERVATION, MovementKind.RELEASE)
        else on_hand_change
    )
    await session.execute(
        stock_movements.insert().values(
            warehouse=level.warehouse,
            sku=level.sku,
            kind=kind.value,
            quantity_change=primary,
            on_hand_change=on_hand_change,
            reserved_change=reserved_change,
            on_hand=level.on_hand,
            reserved=level.reserved,
            reason=reason[:500] if reason else None,
            reference=reference,
            order_id=order_id,
        )
    )


# --- order demands and reservation lines --------------------------------------------------------


async def claim_demand(
    session: AsyncSession,
    *,
    order_id: str,
    number: str | None,
    status: DemandStatus,
    correlation_id: str | None,
    causation_id: str | None,
) -> bool:
    """Record that this order was acted on; False when it already was (the same fact again)."""
    claimed = await session.execute(
        insert(order_demands)
        .values(
            order_id=order_id,
            number=number,
            status=status.value,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        .on_conflict_do_nothing(index_elements=[order_demands.c.order_id])
        .returning(order_demands.c.seq)
    )
    return claimed.first() is not None


async def lock_demand(session: AsyncSession, order_id: str) -> Row[Any] | None:
    return (
        await session.execute(
            select(order_demands)
            .where(order_demands.c.order_id == order_id)
            .with_for_update(key_share=True)
        )
    ).first()


async def set_demand_status(session: AsyncSession, order_id: str, status: DemandStatus) -> None:
    await session.execute(
        update(order_demands)
        .where(order_demands.c.order_id == order_id)
        .values(status=status.value, updated_at=func.now())
    )


def _line(row: Row[Any]) -> ReservationLine:
    return ReservationLine(
        order_id=row.order_id,
        sku=row.sku,
        quantity=row.quantity,
        shipped=row.shipped_quantity,
        released=row.released_quantity,
        backordered=row.status == LineStatus.BACKORDERED.value,
    )


async def load_lines(
    session: AsyncSession,
    order_id: str,
    *,
    for_update: bool = False,
    warehouse: str = MAIN_WAREHOUSE,
) -> dict[str, ReservationLine]:
    query = (
        select(reservation_lines)
        .where(reservation_lines.c.order_id == order_id, reservation_lines.c.warehouse == warehouse)
        .order_by(reservation_lines.c.sku)
    )
    if for_update:
        query = query.with_for_update()
    return {row.sku: _line(row) for row in await session.execute(query)}


async def insert_lines(
    session: AsyncSession,
    order_id: str,
    demand: Mapping[str, Decimal],
    status: LineStatus,
    warehouse: str = MAIN_WAREHOUSE,
) -> None:
    await session.execute(
        reservation_lines.insert(),
        [
            {
                "order_id": order_id,
                "warehouse": warehouse,
                "sku": sku,
                "quantity": amount,
                "status": status.value,
            }
            for sku, amount in sorted(demand.items())
        ],
    )


async def save_line(
    session: AsyncSession, line: ReservationLine, warehouse: str = MAIN_WAREHOUSE
) -> None:
    await session.execute(
        update(reservation_lines)
        .where(
            reservation_lines.c.order_id == line.order_id,
            reservation_lines.c.warehouse == warehouse,
            reservation_lines.c.sku == line.sku,
        )
        .values(
            shipped_quantity=line.shipped,
            released_quantity=line.released,
            status=line.status.value,
            updated_at=func.now(),
        )
    )


async def delete_backordered_lines(session: AsyncSession, order_id: str) -> None:
    await session.execute(
        reservation_lines.delete().where(
            reservation_lines.c.order_id == order_id,
            reservation_lines.c.status == LineStatus.BACKORDERED.value,
        )
    )


async def backorders_involving(session: AsyncSession, skus: Collection[str]) -> list[Backorder]:
    """The waiting orders that need any of `skus`, oldest first, each with its whole demand."""
    if not skus:
        return []
    waiting = (
        select(order_demands.c.order_id, order_demands.c.seq)
        .join(reservation_lines, reservation_lines.c.order_id == order_demands.c.order_id)
        .where(
            order_demands.c.status == DemandStatus.BACKORDERED.value,
            reservation_lines.c.status == LineStatus.BACKORDERED.value,
            reservation_lines.c.sku.in_(sorted(skus)),
        )
        .distinct()
        .subquery()
    )
    rows = await session.execute(
        select(waiting.c.seq, reservation_lines.c.order_id, reservation_lines.c.sku)
        .add_columns(reservation_lines.c.quantity)
        .join(reservation_lines, reservation_lines.c.order_id == waiting.c.order_id)
        .where(reservation_lines.c.status == LineStatus.BACKORDERED.value)
        .order_by(waiting.c.seq, reservation_lines.c.sku)
    )
    demands: dict[str, dict[str, Decimal]] = {}
    for _seq, order_id, sku, amount in rows:
        demands.setdefault(order_id, {})[sku] = amount
    return [Backorder(order_id=order_id, demand=demand) for order_id, demand in demands.items()]


async def lock_backordered_demands(
    session: AsyncSession, order_ids: Collection[str]
) -> dict[str, Row[Any]]:
    """Lock the demands of `order_ids` that are still backordered (re-checked under the lock)."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(order_demands)
        .where(
            order_demands.c.order_id.in_(sorted(order_ids)),
            order_demands.c.status == DemandStatus.BACKORDERED.value,
        )
        .order_by(order_demands.c.seq)
        .with_for_update(key_share=True)
    )
    return {row.order_id: row for row in rows}
