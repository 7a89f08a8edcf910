"""The catalogue in SQL."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Row

from inventory.adapters.rows import record_of
from inventory.adapters.tables import products
from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.model import ItemKind
from inventory.domain.records import Product
from inventory.service_layer.ports import Page
from servicekit.unit_of_work import SqlRepository, transaction_memo

NO_DETAILS = CatalogueDetails()
# The kinds of some SKUs (the `skus` parameter), built once: one statement whatever their number.
_KINDS = select(products.c.sku, products.c.kind).where(
    products.c.sku == bindparam("skus", type_=ARRAY(String)).any_()
)


def _product(row: Row[Any]) -> Product:
    details = CatalogueDetails(
        list_prices={currency: Decimal(amount) for currency, amount in row.list_prices.items()},
        unit_of_measure=row.unit_of_measure,
        tax_category=row.tax_category,
        active=row.active,
        barcode=row.barcode,
    )
    return record_of(Product, row, kind=ItemKind(row.kind), details=details)


def _columns(details: CatalogueDetails) -> dict[str, Any]:
    return {
        "list_prices": {currency: str(amount) for currency, amount in details.list_prices.items()},
        "unit_of_measure": details.unit_of_measure,
        "tax_category": details.tax_category,
        "active": details.active,
        "barcode": details.barcode,
    }


def contains(text: str) -> str:
    """A LIKE pattern finding `text` literally (its %, _ and \\ escaped)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlProductRepository(SqlRepository):
    """Products; the kinds read are kept for the rest of the transaction (a batch of
    confirmations asks for the same SKUs' kinds order after order) until a product is written
    through this repository (`transaction_memo`)."""

    @property
    def _kinds(self) -> dict[str, ItemKind]:
        return transaction_memo(self.session, "inventory.product_kinds")

    async def get(self, sku: str, *, for_update: bool = False) -> Product | None:
        query = select(products).where(products.c.sku == sku)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _product(row) if row is not None else None

    async def kinds(self, skus: Collection[str]) -> dict[str, ItemKind]:
        if not skus:
            return {}
        known = self._kinds
        if unknown := [sku for sku in skus if sku not in known]:
            rows = await self.session.execute(_KINDS, {"skus": unknown})
            known.update((sku, ItemKind(kind)) for sku, kind in rows)
        return {sku: known[sku] for sku in skus if sku in known}

    async def add(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = NO_DETAILS,
    ) -> Product | None:
        self._kinds.clear()
        row = (
            await self.session.execute(
                insert(products)
                .values(
                    sku=sku,
                    name=name,
                    kind=kind.value,
                    description=description,
                    **_columns(details),
                )
                .on_conflict_do_nothing(index_elements=[products.c.sku])
                .returning(*products.c)
            )
        ).first()
        return _product(row) if row is not None else None

    async def update(
        self,
        *,
        sku: str,
        name: str,
        kind: ItemKind,
        description: str | None,
        details: CatalogueDetails = NO_DETAILS,
    ) -> Product:
        self._kinds.clear()
        row = (
            await self.session.execute(
                update(products)
                .where(products.c.sku == sku)
                .values(
                    name=name,
                    kind=kind.value,
                    description=description,
                    updated_at=func.now(),
                    **_columns(details),
                )
                .returning(*products.c)
            )
        ).one()
        return _product(row)

    async def page(
        self,
        *,
        limit: int,
        after_sku: str | None,
        kind: ItemKind | None,
        text: str | None,
        active: bool | None = None,
    ) -> Page[Product]:
        query = select(products).order_by(products.c.sku).limit(limit + 1)
        if after_sku is not None:
            query = query.where(products.c.sku > after_sku)
        if kind is not None:
            query = query.where(products.c.kind == kind.value)
        if active is not None:
            query = query.where(products.c.active.is_(active))
        if text:
            pattern = contains(text)
            query = query.where(
                or_(
                    products.c.sku.ilike(pattern, escape="\\"),
                    products.c.name.ilike(pattern, escape="\\"),
                    products.c.description.ilike(pattern, escape="\\"),
                    products.c.barcode == text.strip(),
                )
            )
        rows = (await self.session.execute(query)).all()
        return [_product(row) for row in rows[:limit]], len(rows) > limit
