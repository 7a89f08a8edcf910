"""Use cases of the catalogue: products (stocked) and services (not stocked)."""

from __future__ import annotations

from contracts import EventType
from contracts.common import ItemKind as ItemKindPayload
from contracts.events import ListPrice, ProductChanged
from inventory.domain.commands import UpsertProduct
from inventory.domain.model import ItemKind, StockRuleViolation
from inventory.domain.records import Product
from inventory.service_layer.events import command_event
from inventory.service_layer.ports import Page, UnitOfWork


def product_changed(product: Product) -> ProductChanged:
    """The whole catalogue entry, as consumers' views keep it."""
    details = product.details
    return ProductChanged(
        sku=product.sku,
        name=product.name,
        kind=ItemKindPayload(product.kind.value),
        description=product.description,
        list_prices=[
            ListPrice(currency=currency, amount=amount)
            for currency, amount in details.list_prices.items()
        ],
        unit_of_measure=details.unit_of_measure,
        tax_category=details.tax_category,
        active=details.active,
        barcode=details.barcode,
    )


async def upsert_product(uow: UnitOfWork, command: UpsertProduct) -> tuple[Product, bool]:
    """Create the product or replace its fields; returns it and whether it was created.

    A stocked product that still holds or reserves stock cannot become a service. Records
    product.changed with the whole entry.
    """
    sku, name, kind, description = command.sku, command.name, command.kind, command.description
    details = command.details
    created = await uow.products.add(
        sku=sku, name=name, kind=kind, description=description, details=details
    )
    if created is None:
        current = await uow.products.get(sku, for_update=True)
        assert current is not None  # it conflicted, and products are never deleted
        if current.kind is ItemKind.PRODUCT and kind is ItemKind.SERVICE:
            level = await uow.stock.get(sku)
            if level is not None and (level.on_hand != 0 or level.reserved != 0):
                raise StockRuleViolation(
                    sku, "a product with stock on hand or reserved cannot become a service"
                )
        product = await uow.products.update(
            sku=sku, name=name, kind=kind, description=description, details=details
        )
    else:
        product = created
    if kind is ItemKind.PRODUCT:
        await uow.stock.ensure(sku)
    event = command_event(
        EventType.PRODUCT_CHANGED, product_changed(product), subject=sku, by=command
    )
    await uow.record(event, key=sku)
    return product, created is not None


async def get_product(uow: UnitOfWork, sku: str, *, for_update: bool = False) -> Product | None:
    """The product (None if unknown); `for_update` locks it until the transaction ends."""
    return await uow.products.get(sku, for_update=for_update)


async def list_products(
    uow: UnitOfWork,
    *,
    limit: int,
    after_sku: str | None = None,
    kind: ItemKind | None = None,
    text: str | None = None,
    active: bool | None = None,
) -> Page[Product]:
    """Products in SKU order after `after_sku`; returns the page and whether more follow."""
    return await uow.products.page(
        limit=limit, after_sku=after_sku, kind=kind, text=text, active=active
    )
