"""Price lists and their breaks in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, text, tuple_
from sqlalchemy.engine import Row

from orders.adapters.tables import price_list_entries, price_lists
from orders.domain.price_lists import PriceBreak, PriceList
from servicekit.unit_of_work import SqlRepository


def _breaks(rows: Sequence[Row[Any]]) -> dict[str, list[PriceBreak]]:
    found: dict[str, list[PriceBreak]] = {}
    for row in rows:
        found.setdefault(row.price_list_id, []).append(
            PriceBreak(row.sku, row.min_quantity, row.unit_price, row.discount_percent)
        )
    return found


class SqlPriceListRepository(SqlRepository):
    async def _lists(self, rows: Sequence[Row[Any]]) -> list[PriceList]:
        ids = [row.id for row in rows]
        breaks: dict[str, list[PriceBreak]] = {}
        if ids:
            entries = await self.session.execute(
                select(price_list_entries)
                .where(price_list_entries.c.price_list_id.in_(ids))
                .order_by(price_list_entries.c.sku, price_list_entries.c.min_quantity)
            )
            breaks = _breaks(entries.all())
        return [
            PriceList(
                id=row.id,
                name=row.name,
                currency=row.currency,
                customer_id=row.customer_id,
                customer_group=row.customer_group,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                entries=tuple(breaks.get(row.id, ())),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    async def _add_entries(self, price_list: PriceList) -> None:
        if price_list.entries:
            await self.session.execute(
                price_list_entries.insert(),
                [
                    {
                        "price_list_id": price_list.id,
                        "sku": e.sku,
                        "min_quantity": e.min_quantity,
                        "unit_price": e.unit_price,
                        "discount_percent": e.discount_percent,
                    }
                    for e in price_list.entries
                ],
            )

    @staticmethod
    def _values(price_list: PriceList) -> dict[str, Any]:
        return {
            "name": price_list.name,
            "currency": price_list.currency,
            "customer_id": price_list.customer_id,
            "customer_group": price_list.customer_group,
            "valid_from": price_list.valid_from,
            "valid_to": price_list.valid_to,
            "updated_at": price_list.updated_at,
        }

    async def add(self, price_list: PriceList) -> None:
        await self.session.execute(
            price_lists.insert().values(
                id=price_list.id, created_at=price_list.created_at, **self._values(price_list)
            )
        )
        await self._add_entries(price_list)

    async def replace(self, price_list: PriceList) -> None:
        await self.session.execute(
            price_lists.update()
            .where(price_lists.c.id == price_list.id)
            .values(**self._values(price_list))
        )
        await self.session.execute(
            delete(price_list_entries).where(price_list_entries.c.price_list_id == price_list.id)
        )
        await self._add_entries(price_list)

    async def delete(self, price_list_id: str) -> None:
        await self.session.execute(delete(price_lists).where(price_lists.c.id == price_list_id))

    async def get(self, price_list_id: str, *, for_update: bool = False) -> PriceList | None:
        query = select(price_lists).where(price_lists.c.id == price_list_id)
        if for_update:
            query = query.with_for_update()
        found = await self._lists((await self.session.execute(query)).all())
        return found[0] if found else None

    async def lock_target(self, target: tuple[str, str], currency: str) -> None:
        key = f"price_lists:{target[0]}:{target[1]}:{currency}"
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )

    async def of_target(self, target: tuple[str, str], currency: str) -> list[PriceList]:
        kind, value = target
        column = price_lists.c.customer_id if kind == "customer" else price_lists.c.customer_group
        rows = await self.session.execute(
            select(price_lists)
            .where(column == value, price_lists.c.currency == currency)
            .order_by(price_lists.c.created_at, price_lists.c.id)
        )
        return await self._lists(rows.all())

    async def valid_for(
        self, *, customer_id: str, customer_group: str | None, currency: str, day: date
    ) -> list[PriceList]:
        whose = [price_lists.c.customer_id == customer_id]
        if customer_group is not None:
            whose.append(price_lists.c.customer_group == customer_group)
        rows = await self.session.execute(
            select(price_lists).where(
                or_(*whose),
                price_lists.c.currency == currency,
                or_(price_lists.c.valid_from.is_(None), price_lists.c.valid_from <= day),
                or_(price_lists.c.valid_to.is_(None), price_lists.c.valid_to >= day),
            )
        )
        return await self._lists(rows.all())

    async def page(
        self,
        *,
        customer_id: str | None,
        customer_group: str | None,
        currency: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> tuple[list[PriceList], bool]:
        query = (
            select(price_lists)
            .order_by(price_lists.c.created_at.desc(), price_lists.c.id.desc())
            .limit(limit + 1)
        )
        if customer_id is not None:
            query = query.where(price_lists.c.customer_id == customer_id)
        if customer_group is not None:
            query = query.where(price_lists.c.customer_group == customer_group)
        if currency is not None:
            query = query.where(price_lists.c.currency == currency)
        if after is not None:
            query = query.where(tuple_(price_lists.c.created_at, price_lists.c.id) < tuple_(*after))
        rows = (await self.session.execute(query)).all()
        found = await self._lists(rows[:limit])
        return found, len(rows) > limit
