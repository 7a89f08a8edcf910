"""The catalogue view in SQL: items and their stock per warehouse."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, Table, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.engine import Row
from sqlalchemy.sql.dml import ReturningInsert

from orders.adapters.rows import text_match
from orders.adapters.tables import catalogue_items, catalogue_stock, catalogue_warehouses
from orders.domain.catalogue import (
    Availability,
    CatalogueItem,
    KnownWarehouse,
    StockAvailability,
)
from servicekit.unit_of_work import SqlRepository, transaction_memo

# An item's columns, in the table's order (a row read along by another statement has them so).
ITEM_COLUMNS = tuple(column.name for column in catalogue_items.c)

# Some items by SKU (the `skus` parameter), built once: one statement whatever their number.
_ITEMS = select(catalogue_items).where(
    catalogue_items.c.sku == bindparam("skus", type_=ARRAY(String)).any_()
)
# The items the transaction read (`know`, `read_ahead_items`) by SKU, None for a SKU without
# one: until it writes the catalogue.
_KNOWN_ITEMS = "orders.catalogue_items"


def _item(row: Any) -> CatalogueItem:
    """An item from its row (a read of the table's, or one read along by another statement)."""
    return CatalogueItem(
        sku=row.sku,
        name=row.name,
        kind=row.kind,
        description=row.description,
        list_prices={currency: Decimal(amount) for currency, amount in row.list_prices.items()},
        unit_of_measure=row.unit_of_measure,
        tax_category=row.tax_category,
        active=row.active,
        barcode=row.barcode,
        sequence=row.sequence,
    )


def _level(row: Row[Any]) -> StockAvailability:
    return StockAvailability(
        sku=row.sku,
        warehouse=row.warehouse,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        sequence=row.sequence,
    )


def _level_forwards() -> ReturningInsert[Any]:
    """A stock level inserted, or replacing the stored one only when its sequence moves it
    forwards (`domain.catalogue.is_newer`): one statement, no locked read before it; returns a
    row only when it wrote one."""
    statement = insert(catalogue_stock)
    incoming, stored = statement.excluded.sequence, catalogue_stock.c.sequence
    columns = ("on_hand", "reserved", "available", "sequence")
    return statement.on_conflict_do_update(
        constraint=catalogue_stock.primary_key,
        set_={**{name: statement.excluded[name] for name in columns}, "updated_at": func.now()},
        where=or_(incoming.is_(None), stored.is_(None), stored < incoming),
    ).returning(catalogue_stock.c.sku)


_LEVEL_FORWARDS = _level_forwards()


@cache  # built once per table and columns: every product or warehouse event replaces a row
def _replacing(table: Table, columns: tuple[str, ...]) -> Insert:
    """Insert a row of these columns (the values as parameters), or replace the one with its
    primary key."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        constraint=table.primary_key,
        set_={**{name: statement.excluded[name] for name in columns}, "updated_at": func.now()},
    )


class SqlCatalogueRepository(SqlRepository):
    """The catalogue; items read ahead in the transaction (`know`, `read_ahead_items`) answer
    `items` until it writes the catalogue."""

    @property
    def _known(self) -> dict[str, CatalogueItem | None]:
        """By SKU, None when no item has it: the transaction's, so the units of work of a
        consumer's batch share it."""
        return transaction_memo(self.session, _KNOWN_ITEMS)

    def know(self, skus: Collection[str], rows: Iterable[Sequence[Any]]) -> None:
        """Keep the items of `skus` that another statement read along, each row's values in
        the order of the table's columns (`ITEM_COLUMNS`): a SKU without a row has no item."""
        read = (_item(SimpleNamespace(**dict(zip(ITEM_COLUMNS, row, strict=True)))) for row in rows)
        self._keep(skus, read)

    async def read_ahead_items(self, skus: Collection[str]) -> None:
        """Read the items of `skus` in one statement, for a consumed batch's handlers."""
        wanted = sorted(set(skus))
        self._keep(wanted, map(_item, await self.session.execute(_ITEMS, {"skus": wanted})))

    def _keep(self, skus: Collection[str], items: Iterable[CatalogueItem]) -> None:
        found = {item.sku: item for item in items}
        self._known.update({sku: found.get(sku) for sku in skus})

    def knows(self, skus: Collection[str]) -> bool:
        """Whether `items` of `skus` is answered from what the transaction read."""
        return all(sku in self._known for sku in skus)

    async def _replace(self, table: Table, values: dict[str, Any]) -> None:
        """Insert the row, or replace the one with its primary key."""
        self._known.clear()
        await self.session.execute(_replacing(table, tuple(values)), values)

    async def warehouse(self, code: str, *, for_update: bool = False) -> KnownWarehouse | None:
        query = select(catalogue_warehouses).where(catalogue_warehouses.c.code == code)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return KnownWarehouse(
            code=row.code,
            name=row.name,
            priority=row.priority,
            is_default=row.is_default,
            active=row.active,
            sequence=row.sequence,
        )

    async def put_warehouse(self, warehouse: KnownWarehouse) -> None:
        values = {
            "code": warehouse.code,
            "name": warehouse.name,
            "priority": warehouse.priority,
            "is_default": warehouse.is_default,
            "active": warehouse.active,
            "sequence": warehouse.sequence,
        }
        await self._replace(catalogue_warehouses, values)

    async def get(self, sku: str, *, for_update: bool = False) -> CatalogueItem | None:
        query = select(catalogue_items).where(catalogue_items.c.sku == sku)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return None if row is None else _item(row)

    async def items(self, skus: Collection[str]) -> dict[str, CatalogueItem]:
        if not skus:
            return {}
        known = self._known
        if all(sku in known for sku in skus):
            return {sku: item for sku in skus if (item := known[sku]) is not None}
        rows = await self.session.execute(_ITEMS, {"skus": list(skus)})
        return {row.sku: _item(row) for row in rows}

    async def put(self, item: CatalogueItem) -> None:
        values = {
            "sku": item.sku,
            "name": item.name,
            "kind": item.kind,
            "description": item.description,
            "list_prices": {c: str(a) for c, a in sorted(item.list_prices.items())},
            "unit_of_measure": item.unit_of_measure,
            "tax_category": item.tax_category,
            "active": item.active,
            "barcode": item.barcode,
            "sequence": item.sequence,
        }
        await self._replace(catalogue_items, values)

    async def put_level_if_newer(self, level: StockAvailability) -> bool:
        values = {
            "sku": level.sku,
            "warehouse": level.warehouse,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "available": level.available,
            "sequence": level.sequence,
        }
        written = await self.session.execute(_LEVEL_FORWARDS, values)
        return written.first() is not None

    async def availability(self, skus: Collection[str]) -> dict[str, Availability]:
        if not skus:
            return {}
        rows = await self.session.execute(
            select(catalogue_stock)
            .where(catalogue_stock.c.sku.in_(sorted(skus)))
            .order_by(catalogue_stock.c.sku, catalogue_stock.c.warehouse)
        )
        levels: dict[str, list[StockAvailability]] = {}
        for row in rows:
            levels.setdefault(row.sku, []).append(_level(row))
        return {sku: Availability(tuple(found)) for sku, found in levels.items()}

    async def search(
        self, *, text: str | None, active: bool | None, limit: int, after_sku: str | None
    ) -> tuple[list[CatalogueItem], bool]:
        query = select(catalogue_items).order_by(catalogue_items.c.sku).limit(limit + 1)
        if after_sku is not None:
            query = query.where(catalogue_items.c.sku > after_sku)
        if active is not None:
            query = query.where(catalogue_items.c.active.is_(active))
        if text:
            query = query.where(
                or_(
                    text_match(text, catalogue_items.c.sku, catalogue_items.c.name),
                    catalogue_items.c.barcode == text.strip(),
                )
            )
        rows = (await self.session.execute(query)).all()
        return [_item(row) for row in rows[:limit]], len(rows) > limit
