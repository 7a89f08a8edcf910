"""Use cases of stock levels: adjustments (receipts, damage, loss, counts) and the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import EventType, new_event
from contracts.events import AdjustmentKind as AdjustmentKindPayload
from contracts.events import StockAdjusted
from inventory.adapters import repository
from inventory.adapters.tables import stock_adjustments, stock_movements
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    AdjustmentKind,
    ItemKind,
    MovementKind,
    NotStocked,
    StockLevel,
    UnknownProduct,
    tidy,
)
from inventory.service_layer.locking import with_restarts
from inventory.service_layer.messages import SOURCE, emit
from inventory.service_layer.reservations import retry_backorders, skus_to_lock_for_increase


@dataclass(frozen=True)
class Adjustment:
    id: str
    sku: str
    kind: AdjustmentKind
    quantity_change: Decimal
    on_hand: Decimal
    reserved: Decimal
    reason: str
    created_at: datetime
    reserved_orders: tuple[str, ...] = ()

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


async def _stocked_product(session: AsyncSession, sku: str) -> None:
    product = await repository.get_product(session, sku)
    if product is None:
        raise UnknownProduct(sku)
    if product.kind != ItemKind.PRODUCT.value:
        raise NotStocked(sku)


async def adjust_stock(
    session: AsyncSession,
    *,
    sku: str,
    kind: AdjustmentKind,
    quantity: Decimal,
    reason: str,
    correlation_id: str | None = None,
    actor: str | None = None,
) -> Adjustment:
    """Receive, write off or count stock; emits stock.adjusted.

    When on_hand grows, the orders backordered on this SKU are retried, oldest first, in this
    same transaction (each one reserved emits stock.reserved).
    """
    await _stocked_product(session, sku)
    await repository.ensure_level(session, sku)
    may_increase = kind in (AdjustmentKind.RECEIPT, AdjustmentKind.COUNT_CORRECTION)

    async def attempt(extra: set[str]) -> Adjustment:
        locked = {sku}
        if may_increase:
            locked |= extra | await skus_to_lock_for_increase(session, sku)
        levels = await repository.lock_levels(session, locked)
        level = levels[sku]
        change = level.apply_adjustment(kind, quantity)
        adjustment_id = str(uuid.uuid4())
        await repository.save_level(session, level)
        await repository.add_movement(
            session,
            level,
            MovementKind(kind.value),
            on_hand_change=change,
            reserved_change=Decimal(0),
            reference=adjustment_id,
            reason=reason,
        )
        event = new_event(
            EventType.STOCK_ADJUSTED,
            StockAdjusted(
                adjustment_id=adjustment_id,
                sku=sku,
                kind=AdjustmentKindPayload(kind.value),
                quantity_change=tidy(change),
                on_hand=tidy(level.on_hand),
                reason=reason,
            ),
            source=SOURCE,
            subject=sku,
            correlation_id=correlation_id,
            actor=actor,
        )
        await emit(session, event, key=sku)
        reserved_orders: list[str] = []
        if change > 0:
            reserved_orders = await retry_backorders(
                session, [sku], levels, locked, causation_id=event.id, actor=actor
            )
        created_at = (
            await session.execute(
                stock_adjustments.insert()
                .values(
                    id=adjustment_id,
                    warehouse=level.warehouse,
                    sku=sku,
                    kind=kind.value,
                    quantity=quantity,
                    quantity_change=change,
                    on_hand=level.on_hand,
                    reserved=level.reserved,
                    reason=reason,
                )
                .returning(stock_adjustments.c.created_at)
            )
        ).scalar_one()
        return Adjustment(
            id=adjustment_id,
            sku=sku,
            kind=kind,
            quantity_change=change,
            on_hand=level.on_hand,
            reserved=level.reserved,
            reason=reason,
            created_at=created_at,
            reserved_orders=tuple(reserved_orders),
        )

    return await with_restarts(session, attempt)


async def get_stock(session: AsyncSession, sku: str) -> StockLevel:
    """The level of a stocked product (all zeros before its first receipt)."""
    await _stocked_product(session, sku)
    level = await repository.get_level(session, sku)
    return level or StockLevel(sku=sku, on_hand=Decimal(0), reserved=Decimal(0))


async def list_movements(
    session: AsyncSession, sku: str, *, limit: int, after_id: int | None = None
) -> tuple[list[Any], bool]:
    """The ledger of one SKU, oldest first; returns the page and whether more follow."""
    product = await repository.get_product(session, sku)
    if product is None:
        raise UnknownProduct(sku)
    query = (
        select(stock_movements)
        .where(stock_movements.c.sku == sku, stock_movements.c.warehouse == MAIN_WAREHOUSE)
        .order_by(stock_movements.c.id)
        .limit(limit + 1)
    )
    if after_id is not None:
        query = query.where(stock_movements.c.id > after_id)
    rows = (await session.execute(query)).all()
    return list(rows[:limit]), len(rows) > limit
