"""Bodies of the catalogue view's routes (item look-up for order entry)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from servicekit.pagination import Page


class ListPriceRead(BaseModel):
    currency: str
    amount: Decimal


class WarehouseStockRead(BaseModel):
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class AvailabilityRead(BaseModel):
    """Over every warehouse, and per warehouse (as inventory last reported it)."""

    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    warehouses: list[WarehouseStockRead]


class PriceRead(BaseModel):
    """What one unit costs the customer in `currency`, and which rule gave the price."""

    currency: str
    unit_price: Decimal
    source: str  # price_list or list_price
    price_list_id: str | None = None
    price_list_name: str | None = None


class ItemRead(BaseModel):
    sku: str
    name: str
    kind: str
    description: str | None
    unit_of_measure: str
    tax_category: str
    active: bool
    barcode: str | None
    list_prices: list[ListPriceRead]
    availability: AvailabilityRead
    price: PriceRead | None = None


class ItemPage(Page[ItemRead]):
    """A page of catalogue items in SKU order."""
