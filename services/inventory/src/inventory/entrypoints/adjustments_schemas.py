"""Bodies of the adjustment routes: receipts, write-offs and counts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from inventory.domain.model import AdjustmentKind
from inventory.entrypoints.common import QuantityOut, Sku
from servicekit.api import RequestBody

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
CountedQuantity = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]


class StockAdjustmentCreate(RequestBody):
    sku: Sku
    kind: AdjustmentKind
    quantity: CountedQuantity = Field(
        description="Received / written off (> 0), or the counted on-hand quantity (>= 0)"
    )
    reason: Reason
    warehouse: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$")] = Field(
        default="MAIN", description="The warehouse whose stock changes (an active one)"
    )

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
