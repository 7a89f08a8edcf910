"""Bodies of the shipment routes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from inventory.domain.records import Shipment
from inventory.entrypoints.common import QuantityOut, Sku
from servicekit.api import RequestBody
from servicekit.pagination import Page

OrderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
QuantityIn = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]


class ShipmentLineCreate(RequestBody):
    sku: Sku
    quantity: QuantityIn


class ShipmentCreate(RequestBody):
    order_id: OrderId
    lines: list[ShipmentLineCreate] = Field(min_length=1, max_length=500)
    carrier: Text200 | None = None
    tracking_number: Text200 | None = None
    shipping_date: date | None = Field(default=None, description="The day it leaves")
    warehouse: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$")] | None = Field(
        default=None,
        description="The warehouse it leaves from (default: where the lines are reserved)",
    )


class DeliveryConfirmation(RequestBody):
    delivered_at: AwareDatetime | None = Field(default=None, description="Left out: now")


class ShipmentLineRead(BaseModel):
    sku: str
    quantity: QuantityOut


class ShipmentRead(BaseModel):
    id: str
    order_id: str
    lines: list[ShipmentLineRead]
    fully_shipped: bool
    warehouse: str = Field(default="MAIN", description="The warehouse it left from")
    carrier: str | None = None
    tracking_number: str | None = None
    shipping_date: date | None = None
    delivered_at: datetime | None = None
    created_at: datetime

    @classmethod
    def of(cls, shipment: Shipment) -> ShipmentRead:
        return cls(
            id=shipment.id,
            order_id=shipment.order_id,
            lines=[ShipmentLineRead(sku=sku, quantity=q) for sku, q in shipment.lines.items()],
            fully_shipped=shipment.fully_shipped,
            warehouse=shipment.warehouse,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            shipping_date=shipment.shipping_date,
            delivered_at=shipment.delivered_at,
            created_at=shipment.created_at,
        )


class ShipmentPage(Page[ShipmentRead]):
    """A page of shipments, oldest first."""
