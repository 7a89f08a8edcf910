"""The catalogue in SQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from inventory.adapters.rows import record_of
from inventory.adapters.tables import products
from inventory.domain.model import ItemKind
from inventory.domain.records import Product
from inventory.service_layer.ports import Page
from servicekit.unit_of_work import SqlRepository


def _product(row: Row[Any]) -> Product:
    return record_of(Product, row, kind=ItemKind(row.kind))


def _contains(text: str) -> str:
    """A LIKE pattern finding `text` literally (its %, _ and \\ escaped)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlProductRepository(SqlRepository):
    async def get(self, sku: str, *, for_update: bool = False) -> Product | None:
        query = select(products).where(products.c.sku == sku)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _product(row) if row is not None else None

    async def kinds(self, skus: Collection[str]) -> dict[str, ItemKind]:
        if not skus:
            return {}
        rows = await self.session.execute(
            select(products.c.sku, products.c.kind).where(products.c.sku.in_(sorted(skus)))
        )
        return {sku: ItemKind(kind) for sku, kind in rows}

    async def add(
        self, *, sku: str, name: str, kind: ItemKind, description: str | None
    ) -> Product | None:
        row = (
            await self.session.execute(
                insert(products)
                .values(sku=sku, name=name, kind=kind.value, description=description)
                .on_conflict_do_nothing(index_elements=[products.c.sku])
                .returning(*products.c)
            )
        ).first()
        return _product(row) if row is not None else None

    async def update(
        self, *, sku: str, name: str, kind: ItemKind, description: str | None
    ) -> Product:
        row = (
            await self.session.execute(
                update(products)
                .where(products.c.sku == sku)
                .values(name=name, kind=kind.value, description=description, updated_at=func.now())
                .returning(*products.c)
            )
        ).one()
        return _product(row)

    async def page(
        self, *, limit: int, after_sku: str | None, kind: ItemKind | None, text: str | None
    ) -> Page[Product]:
        query = select(products).order_by(products.c.sku).limit(limit + 1)
        if after_sku is not None:
            query = query.where(products.c.sku > after_sku)
        if kind is not None:
            query = query.where(products.c.kind == kind.value)
        if text:
            pattern = _contains(text)
            query = query.where(
                or_(
                    products.c.sku.ilike(pattern, escape="\\"),
                    products.c.name.ilike(pattern, escape="\\"),
                    products.c.description.ilike(pattern, escape="\\"),
                )
            )
        rows = (await self.session.execute(query)).all()
        return [_product(row) for row in rows[:limit]], len(rows) > limit
