"""Stock adjustments in SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.tables import stock_adjustments
from inventory.domain.model import AdjustmentKind, StockLevel


class SqlAdjustmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        adjustment_id: str,
        level: StockLevel,
        kind: AdjustmentKind,
        quantity: Decimal,
        quantity_change: Decimal,
        reason: str,
    ) -> datetime:
        created_at: datetime = (
            await self.session.execute(
                stock_adjustments.insert()
                .values(
                    id=adjustment_id,
                    warehouse=level.warehouse,
                    sku=level.sku,
                    kind=kind.value,
                    quantity=quantity,
                    quantity_change=quantity_change,
                    on_hand=level.on_hand,
                    reserved=level.reserved,
                    reason=reason,
                )
                .returning(stock_adjustments.c.created_at)
            )
        ).scalar_one()
        return created_at
