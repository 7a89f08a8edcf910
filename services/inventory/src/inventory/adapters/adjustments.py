"""Stock adjustments in SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from inventory.adapters.tables import stock_adjustments
from inventory.domain.model import StockLevel
from inventory.domain.records import StockChange
from servicekit.unit_of_work import SqlRepository


class SqlAdjustmentRepository(SqlRepository):
    async def add(self, level: StockLevel, change: StockChange, *, quantity: Decimal) -> datetime:
        created_at: datetime = (
            await self.session.execute(
                stock_adjustments.insert()
                .values(
                    id=change.reference,
                    warehouse=level.warehouse,
                    sku=level.sku,
                    kind=change.kind.value,
                    quantity=quantity,
                    quantity_change=change.on_hand_change,
                    on_hand=level.on_hand,
                    reserved=level.reserved,
                    reason=change.reason,
                )
                .returning(stock_adjustments.c.created_at)
            )
        ).scalar_one()
        return created_at
