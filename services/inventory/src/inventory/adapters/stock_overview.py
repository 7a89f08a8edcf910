"""Stock at a glance in SQL: the stock levels with their product's name."""

from __future__ import annotations

from sqlalchemy import or_, select, tuple_

from inventory.adapters.products import contains
from inventory.adapters.reorder_points import point_column
from inventory.adapters.tables import products, stock_levels
from inventory.domain.records import StockFilter, StockOverviewRow
from inventory.service_layer.ports import Page
from servicekit.unit_of_work import SqlRepository


class SqlStockOverview(SqlRepository):
    async def page(
        self, where: StockFilter, *, limit: int, after: tuple[str, str] | None
    ) -> Page[StockOverviewRow]:
        reorder_point = point_column(stock_levels.c.sku, stock_levels.c.warehouse)
        query = (
            select(
                stock_levels.c.sku,
                products.c.name,
                stock_levels.c.warehouse,
                stock_levels.c.on_hand,
                stock_levels.c.reserved,
                reorder_point.label("reorder_point"),
            )
            .join(products, products.c.sku == stock_levels.c.sku)
            .order_by(stock_levels.c.sku, stock_levels.c.warehouse)
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(tuple_(stock_levels.c.sku, stock_levels.c.warehouse) > after)
        if where.warehouse is not None:
            query = query.where(stock_levels.c.warehouse == where.warehouse)
        available = stock_levels.c.on_hand - stock_levels.c.reserved
        if where.available_below is not None:
            query = query.where(available < where.available_below)
        if where.low_stock:
            query = query.where(available < reorder_point)
        if where.text:
            pattern = contains(where.text)
            query = query.where(
                or_(
                    stock_levels.c.sku.ilike(pattern, escape="\\"),
                    products.c.name.ilike(pattern, escape="\\"),
                    products.c.barcode == where.text.strip(),
                )
            )
        rows = (await self.session.execute(query)).all()
        found = [
            StockOverviewRow(
                row.sku,
                row.name,
                row.warehouse,
                row.on_hand,
                row.reserved,
                reorder_point=row.reorder_point,
            )
            for row in rows[:limit]
        ]
        return found, len(rows) > limit
