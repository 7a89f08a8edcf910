"""Bodies of the reservation routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from inventory.domain.model import LineStatus
from inventory.entrypoints.common import QuantityOut
from servicekit.pagination import Page


class ReservationRead(BaseModel):
    order_id: str
    sku: str
    warehouse: str
    quantity: QuantityOut
    shipped_quantity: QuantityOut
    released_quantity: QuantityOut
    status: LineStatus = Field(description="`backordered`: waiting for stock, nothing reserved")
    created_at: datetime
    updated_at: datetime


class ReservationPage(Page[ReservationRead]):
    """A page of reservation lines, in (order id, SKU) order."""
