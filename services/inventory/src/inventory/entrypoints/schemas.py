"""Request and response bodies of the inventory API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from inventory.domain.model import AdjustmentKind, ItemKind, LineStatus, MovementKind, tidy

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$"

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=SKU_PATTERN)]
OrderId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=4000)]
QuantityIn = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
CountedQuantity = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
# Out: a decimal string without trailing zeros ("10", "2.5"), never in exponent notation.
QuantityOut = Annotated[Decimal, PlainSerializer(lambda q: str(tidy(q)), return_type=str)]

ItemT = TypeVar("ItemT", bound=BaseModel)


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


# --- catalogue ----------------------------------------------------------------------------------


class ProductUpdate(RequestBody):
    """The whole product (PUT creates it or replaces its fields)."""

    name: Name
    kind: ItemKind = Field(description="`product` is stocked and shipped; `service` is not")
    description: Description | None = None


class ProductRead(BaseModel):
    sku: str
    name: str
    kind: ItemKind
    description: str | None
    created_at: datetime
    updated_at: datetime


# --- stock --------------------------------------------------------------------------------------


class StockRead(BaseModel):
    sku: str
    on_hand: QuantityOut
    reserved: QuantityOut
    available: QuantityOut


class StockAdjustmentCreate(RequestBody):
    sku: Sku
    kind: AdjustmentKind
    quantity: CountedQuantity = Field(
        description="Received / written off (> 0), or the counted on-hand quantity (>= 0)"
    )
    reason: Reason

    @field_validator("quantity")
    @classmethod
    def positive_unless_counted(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        kind = info.data.get("kind")
        if kind is not None and kind is not AdjustmentKind.COUNT_CORRECTION and value <= 0:
            raise ValueError(f"must be greater than 0 for a {kind.value}")
        return value


class StockAdjustmentRead(BaseModel):
    id: str
    sku: str
    kind: AdjustmentKind
    quantity_change: QuantityOut
    on_hand: QuantityOut
    reserved: QuantityOut
    available: QuantityOut
    reason: str
    created_at: datetime


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


# --- reservations and shipments -----------------------------------------------------------------


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


class ShipmentLineCreate(RequestBody):
    sku: Sku
    quantity: QuantityIn


class ShipmentCreate(RequestBody):
    order_id: OrderId
    lines: list[ShipmentLineCreate] = Field(min_length=1, max_length=500)


class ShipmentLineRead(BaseModel):
    sku: str
    quantity: QuantityOut


class ShipmentRead(BaseModel):
    id: str
    order_id: str
    lines: list[ShipmentLineRead]
    fully_shipped: bool
    created_at: datetime
