"""Bodies of the warehouse and transfer routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from inventory.domain.warehouses import Transfer, TransferStatus, Warehouse
from inventory.entrypoints.common import QuantityOut, Sku
from servicekit.api import RequestBody
from servicekit.pagination import Page

WAREHOUSE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,31}$"
WarehouseCode = Annotated[str, Field(pattern=WAREHOUSE_PATTERN, examples=["MAIN", "WEST-2"])]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]


class WarehouseCreate(RequestBody):
    code: WarehouseCode
    name: Text200
    priority: Annotated[int, Field(ge=0, le=10000)] = Field(
        default=100, description="Tried after the default warehouse, lower first"
    )


class WarehouseUpdate(RequestBody):
    name: Text200 | None = None
    priority: Annotated[int, Field(ge=0, le=10000)] | None = None


class WarehouseRead(BaseModel):
    code: str
    name: str
    priority: int
    is_default: bool
    active: bool
    created_at: datetime | None

    @classmethod
    def of(cls, warehouse: Warehouse) -> WarehouseRead:
        return cls.model_validate(warehouse, from_attributes=True)


class WarehouseList(BaseModel):
    items: list[WarehouseRead] = Field(description="In the order reservations try them")


class TransferLineCreate(RequestBody):
    sku: Sku
    quantity: Quantity


class TransferCreate(RequestBody):
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    lines: list[TransferLineCreate] = Field(min_length=1, max_length=500)
    note: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("to_warehouse")
    @classmethod
    def another_place(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("from_warehouse"):
            raise ValueError("must differ from from_warehouse")
        return value


class TransferLineRead(BaseModel):
    sku: str
    quantity: QuantityOut


class TransferRead(BaseModel):
    id: str
    from_warehouse: str
    to_warehouse: str
    status: TransferStatus
    lines: list[TransferLineRead]
    note: str | None
    created_at: datetime | None
    received_at: datetime | None

    @classmethod
    def of(cls, transfer: Transfer) -> TransferRead:
        return cls(
            id=transfer.id,
            from_warehouse=transfer.from_warehouse,
            to_warehouse=transfer.to_warehouse,
            status=transfer.status,
            lines=[TransferLineRead(sku=sku, quantity=q) for sku, q in transfer.lines.items()],
            note=transfer.note,
            created_at=transfer.created_at,
            received_at=transfer.received_at,
        )


class TransferPage(Page[TransferRead]):
    pass
