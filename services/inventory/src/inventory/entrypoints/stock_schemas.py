"""Bodies of the stock routes: levels and the ledger."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from inventory.domain.model import MovementKind
from inventory.entrypoints.common import QuantityOut
from servicekit.pagination import Page


class StockRead(BaseModel):
    sku: str
    on_hand: QuantityOut
    reserved: QuantityOut
    available: QuantityOut


class StockLevelRead(BaseModel):
    """One product's stock in one warehouse."""

    sku: str
    name: str
    warehouse: str
    on_hand: QuantityOut
    reserved: QuantityOut
    available: QuantityOut
    incoming: QuantityOut = Field(
        description="What open purchase orders still expect of the SKU for the warehouse"
    )
    reorder_point: QuantityOut | None = Field(description="None: the product has none")


class StockPage(Page[StockLevelRead]):
    """A page of stock levels in (SKU, warehouse) order."""


class MovementRead(BaseModel):
    id: int
    sku: str
    warehouse: str
    kind: MovementKind
    quantity_change: QuantityOut = Field(
        description="Change of the balance the movement is about: reserved for reservations "
        "and releases, on hand otherwise"
    )
    on_hand_change: QuantityOut
    reserved_change: QuantityOut
    on_hand: QuantityOut = Field(description="On hand after the movement")
    reserved: QuantityOut = Field(description="Reserved after the movement")
    available: QuantityOut
    reason: str | None
    reference: str = Field(description="The adjustment, order or shipment id")
    order_id: str | None
    created_at: datetime


class MovementPage(Page[MovementRead]):
    """A page of ledger rows of one SKU, oldest first."""
