"""Vendors and the products they supply, in SQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.engine import Row

from inventory.adapters.purchasing_tables import vendor_products, vendors
from inventory.domain.purchasing import Offer, SuppliedProduct, Vendor, VendorDetails
from inventory.service_layer.ports import Page
from servicekit.unit_of_work import SqlRepository


def _columns(details: VendorDetails) -> dict[str, Any]:
    return {
        "name": details.name,
        "currency": details.currency,
        "payment_terms_days": details.payment_terms_days,
        "email": details.email,
        "phone": details.phone,
        "contact_name": details.contact_name,
        "address": dict(details.address) if details.address is not None else None,
    }


class SqlVendorRepository(SqlRepository):
    async def add(self, vendor_id: str, details: VendorDetails) -> Vendor:
        await self.session.execute(vendors.insert().values(id=vendor_id, **_columns(details)))
        await self._write_supplies(vendor_id, details.supplies)
        vendor = await self.get(vendor_id)
        assert vendor is not None
        return vendor

    async def replace(self, vendor_id: str, details: VendorDetails) -> Vendor | None:
        updated = await self.session.execute(
            update(vendors)
            .where(vendors.c.id == vendor_id)
            .values(**_columns(details), updated_at=func.now())
            .returning(vendors.c.id)
        )
        if updated.first() is None:
            return None
        await self.session.execute(
            delete(vendor_products).where(vendor_products.c.vendor_id == vendor_id)
        )
        await self._write_supplies(vendor_id, details.supplies)
        return await self.get(vendor_id)

    async def get(self, vendor_id: str) -> Vendor | None:
        row = (await self.session.execute(select(vendors).where(vendors.c.id == vendor_id))).first()
        if row is None:
            return None
        return (await self._with_supplies([row]))[0]

    async def page(
        self, *, limit: int, after: tuple[str, str] | None, text: str | None
    ) -> Page[Vendor]:
        query = select(vendors).order_by(vendors.c.name, vendors.c.id).limit(limit + 1)
        if after is not None:
            query = query.where(tuple_(vendors.c.name, vendors.c.id) > tuple_(*after))
        if text:
            # Found literally (strpos knows no wildcards), in any letter case.
            needle = text.lower()
            query = query.where(
                or_(
                    func.strpos(func.lower(vendors.c.name), needle) > 0,
                    func.strpos(func.lower(func.coalesce(vendors.c.email, "")), needle) > 0,
                )
            )
        rows = list((await self.session.execute(query)).all())
        return await self._with_supplies(rows[:limit]), len(rows) > limit

    async def offers(self, skus: Collection[str]) -> dict[str, list[Offer]]:
        found: dict[str, list[Offer]] = {}
        if skus:
            for row in await self.session.execute(
                select(vendor_products).where(vendor_products.c.sku.in_(sorted(skus)))
            ):
                offer = Offer(row.vendor_id, row.purchase_price, row.lead_time_days)
                found.setdefault(row.sku, []).append(offer)
        return found

    async def _write_supplies(self, vendor_id: str, supplies: tuple[SuppliedProduct, ...]) -> None:
        if supplies:
            await self.session.execute(
                vendor_products.insert(),
                [
                    {
                        "vendor_id": vendor_id,
                        "sku": item.sku,
                        "vendor_sku": item.vendor_sku,
                        "purchase_price": item.purchase_price,
                        "lead_time_days": item.lead_time_days,
                    }
                    for item in supplies
                ],
            )

    async def _with_supplies(self, rows: list[Row[Any]]) -> list[Vendor]:
        supplies: dict[str, list[SuppliedProduct]] = {row.id: [] for row in rows}
        if supplies:
            for item in await self.session.execute(
                select(vendor_products)
                .where(vendor_products.c.vendor_id.in_(list(supplies)))
                .order_by(vendor_products.c.vendor_id, vendor_products.c.sku)
            ):
                supplies[item.vendor_id].append(
                    SuppliedProduct(
                        sku=item.sku,
                        purchase_price=item.purchase_price,
                        lead_time_days=item.lead_time_days,
                        vendor_sku=item.vendor_sku,
                    )
                )
        return [
            Vendor(
                id=row.id,
                name=row.name,
                currency=row.currency,
                payment_terms_days=row.payment_terms_days,
                email=row.email,
                phone=row.phone,
                contact_name=row.contact_name,
                address=row.address,
                supplies=tuple(supplies[row.id]),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]
