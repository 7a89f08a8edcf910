"""The catalogue view: kept from inventory's product and stock-level events, and used to price
order lines and to look items up for order entry (price and availability in one answer).

Which SKUs a line may name: a product line (stocked goods) one the catalogue knows and sells
(active); a service line may also be an ad-hoc service the catalogue does not know (installation,
travel), but never an inactive item. With the unit of work's `catalogue_required` off (a
deployment without inventory's catalogue, or tests of orders alone) an unknown product SKU is
taken as given too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts import CloudEvent
from contracts.events import ProductChanged, StockLevelChanged, WarehouseChanged
from orders.domain.catalogue import (
    Availability,
    CatalogueItem,
    KnownWarehouse,
    StockAvailability,
    is_newer,
    orderable,
    usable_warehouse,
)
from orders.domain.content import LineInput, LineKind
from orders.domain.errors import InvalidOrder
from orders.service_layer.price_lists import Price, Pricer, pricer
from orders.service_layer.unit_of_work import UnitOfWork

# --- kept from inventory's events -----------------------------------------------------------


async def product_changed(uow: UnitOfWork, event: CloudEvent[ProductChanged]) -> bool:
    """Take the item as announced, unless a newer announcement was applied already."""
    data = event.data
    current = await uow.catalogue.get(data.sku, for_update=True)
    if current is not None and not is_newer(event.sequence, current.sequence):
        return False
    await uow.catalogue.put(
        CatalogueItem(
            sku=data.sku,
            name=data.name,
            kind=data.kind.value,
            description=data.description,
            list_prices={p.currency: p.amount for p in data.list_prices},
            unit_of_measure=data.unit_of_measure,
            tax_category=data.tax_category,
            active=data.active,
            barcode=data.barcode,
            sequence=event.sequence,
        )
    )
    return True


async def stock_level_changed(uow: UnitOfWork, event: CloudEvent[StockLevelChanged]) -> bool:
    """Take the warehouse's level of the SKU, unless a newer one was applied already."""
    data = event.data
    return await uow.catalogue.put_level_if_newer(
        StockAvailability(
            sku=data.sku,
            warehouse=data.warehouse,
            on_hand=data.on_hand,
            reserved=data.reserved,
            available=data.available,
            sequence=event.sequence,
        )
    )


async def warehouse_changed(uow: UnitOfWork, event: CloudEvent[WarehouseChanged]) -> bool:
    """Take the warehouse as announced, unless a newer announcement was applied already."""
    data = event.data
    current = await uow.catalogue.warehouse(data.code, for_update=True)
    if current is not None and not is_newer(event.sequence, current.sequence):
        return False
    await uow.catalogue.put_warehouse(
        KnownWarehouse(
            code=data.code,
            name=data.name,
            priority=data.priority,
            is_default=data.is_default,
            active=data.active,
            sequence=event.sequence,
        )
    )
    return True


# --- used by order entry ----------------------------------------------------------------------


def _tax_rate(uow: UnitOfWork, item: CatalogueItem | None, sku: str, where: str) -> Decimal:
    """The rate of the item's tax category, as configured (ORDERS_TAX_RATES)."""
    if item is None:
        raise InvalidOrder(f"{where}.tax_rate", f"required: SKU {sku!r} is not in the catalogue")
    rate = uow.tax_rates.get(item.tax_category)
    if rate is None:
        raise InvalidOrder(
            f"{where}.tax_rate",
            f"required: no tax rate is configured for tax category {item.tax_category!r}",
        )
    return rate


async def check_warehouse(uow: UnitOfWork, code: str | None, field: str = "warehouse") -> None:
    """An order may name only a warehouse the view knows and that is active (422 naming
    `field`); none named: inventory's rule picks. Not checked without the catalogue
    (`catalogue_required` off: a deployment without inventory's events)."""
    if code is not None and uow.catalogue_required:
        usable_warehouse(await uow.catalogue.warehouse(code), code, field)


@dataclass(frozen=True)
class ItemOffer:
    """An item as order entry sees it: what it is, what it costs the customer, what is there."""

    item: CatalogueItem
    availability: Availability
    currency: str | None
    price: Price | None  # None without a currency, or when nothing prices the item in it


class ItemNotFound(LookupError):
    def __init__(self, sku: str) -> None:
        self.sku = sku
        super().__init__(f"no catalogue item {sku!r}")


async def look_up(
    uow: UnitOfWork,
    sku: str,
    *,
    currency: str | None = None,
    customer_id: str | None = None,
    quantity: Decimal = Decimal(1),
    day: date | None = None,
) -> ItemOffer:
    """The item, its availability over the warehouses and what one unit costs the customer
    (if given; its price list, else the list price) in `currency` when buying `quantity`."""
    item = await uow.catalogue.get(sku)
    if item is None:
        raise ItemNotFound(sku)
    availability = (await uow.catalogue.availability([sku])).get(sku, Availability())
    price = None
    if currency is not None:
        prices = await pricer(uow, currency, customer_id=customer_id, day=day)
        price = prices.price(sku, quantity, item.list_price(currency))
    return ItemOffer(item=item, availability=availability, currency=currency, price=price)


async def price_lines(
    uow: UnitOfWork,
    lines: Sequence[LineInput],
    currency: str,
    *,
    customer_id: str | None,
    day: date | None,
    field_prefix: str = "lines",
) -> list[LineInput]:
    """The lines, each checked against the catalogue and given its price (and description)
    when it has none: the customer's price for its quantity on `day` (price list, else list
    price).

    A line without a tax rate takes the rate of its item's tax category (the unit of work's
    `tax_rates`).

    Refused (InvalidOrder naming the line's field): an inactive SKU; an unknown one on a
    product line when the unit of work's `catalogue_required`; a line without a price whose
    item has no price in `currency`; a line without a tax rate whose item is unknown or whose
    tax category has no configured rate.
    """
    require_known = uow.catalogue_required
    known = await uow.catalogue.items({line.sku for line in lines})
    prices: Pricer | None = None
    priced = []
    for index, line in enumerate(lines):
        where = f"{field_prefix}.{index}"
        item = known.get(line.sku)
        if item is not None or (require_known and line.kind is LineKind.PRODUCT):
            item = orderable(item, line.sku, f"{where}.sku")
        if not line.description:
            line = dataclasses.replace(line, description=item.name if item else line.sku)
        if line.tax_rate is None:
            line = dataclasses.replace(line, tax_rate=_tax_rate(uow, item, line.sku, where))
        if line.unit_price is not None:
            priced.append(line)
            continue
        if prices is None:
            prices = await pricer(uow, currency, customer_id=customer_id, day=day)
        listed = item.list_price(currency) if item is not None else None
        price = prices.price(line.sku, line.quantity, listed)
        if price is None:
            raise InvalidOrder(
                f"{where}.unit_price",
                f"required: SKU {line.sku!r} has no price in {currency}",
            )
        priced.append(dataclasses.replace(line, unit_price=price.unit_price))
    return priced
