"""Use cases of the catalogue: products (stocked) and services (not stocked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters import repository
from inventory.adapters.tables import products
from inventory.domain.model import ItemKind, StockRuleViolation


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    kind: ItemKind
    description: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Product:
        return cls(
            sku=row.sku,
            name=row.name,
            kind=ItemKind(row.kind),
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


async def upsert_product(
    session: AsyncSession, *, sku: str, name: str, kind: ItemKind, description: str | None
) -> tuple[Product, bool]:
    """Create the product or replace its fields; returns it and whether it was created.

    A stocked product that still holds or reserves stock cannot become a service.
    """
    values = {"name": name, "kind": kind.value, "description": description}
    created = (
        await session.execute(
            insert(products)
            .values(sku=sku, **values)
            .on_conflict_do_nothing(index_elements=[products.c.sku])
            .returning(*products.c)
        )
    ).first()
    if created is None:
        current = await repository.get_product(session, sku, for_update=True)
        assert current is not None  # it conflicted, and products are never deleted
        if current.kind == ItemKind.PRODUCT.value and kind is ItemKind.SERVICE:
            level = await repository.get_level(session, sku)
            if level is not None and (level.on_hand != 0 or level.reserved != 0):
                raise StockRuleViolation(
                    sku, "a product with stock on hand or reserved cannot become a service"
                )
        row = (
            await session.execute(
                update(products)
                .where(products.c.sku == sku)
                .values(**values, updated_at=func.now())
                .returning(*products.c)
            )
        ).one()
    else:
        row = created
    if kind is ItemKind.PRODUCT:
        await repository.ensure_level(session, sku)
    return Product.from_row(row), created is not None


async def get_product(session: AsyncSession, sku: str) -> Product | None:
    row = await repository.get_product(session, sku)
    return Product.from_row(row) if row is not None else None


async def list_products(
    session: AsyncSession,
    *,
    limit: int,
    after_sku: str | None = None,
    kind: ItemKind | None = None,
    text: str | None = None,
) -> tuple[list[Product], bool]:
    """Products in SKU order after `after_sku`; returns the page and whether more follow."""
    query = select(products).order_by(products.c.sku).limit(limit + 1)
    if after_sku is not None:
        query = query.where(products.c.sku > after_sku)
    if kind is not None:
        query = query.where(products.c.kind == kind.value)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                products.c.sku.ilike(pattern, escape="\\"),
                products.c.name.ilike(pattern, escape="\\"),
                products.c.description.ilike(pattern, escape="\\"),
            )
        )
    rows = (await session.execute(query)).all()
    return [Product.from_row(row) for row in rows[:limit]], len(rows) > limit
