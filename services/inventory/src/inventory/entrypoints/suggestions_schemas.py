"""Bodies of the reorder point and suggested purchase list routes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from inventory.domain.purchasing import ReorderPoint, Suggestion
from inventory.entrypoints.common import QuantityOut, Sku
from inventory.entrypoints.shipments_schemas import QuantityIn
from servicekit.api import RequestBody


class ReorderPointWrite(RequestBody):
    reorder_point: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
    reorder_quantity: QuantityIn = Field(description="Bought at least, once below the point")


class ReorderPointRead(BaseModel):
    sku: Sku
    reorder_point: QuantityOut
    reorder_quantity: QuantityOut
    warehouse: str | None = Field(
        default=None,
        description="The warehouse of the SKU's own point; null: the product's point, the "
        "fallback of every warehouse without its own",
    )

    @classmethod
    def of(cls, point: ReorderPoint) -> ReorderPointRead:
        return cls.model_validate(point, from_attributes=True)


class ReorderPointList(BaseModel):
    items: list[ReorderPointRead]


class SuggestionRead(BaseModel):
    sku: str
    warehouse: str = Field(description="The warehouse that is short; the draft goes there")
    available: QuantityOut
    on_order: QuantityOut = Field(description="What purchase orders, drafts too, still bring")
    reorder_point: QuantityOut
    quantity: QuantityOut = Field(description="Suggested: up to the point, at least the quantity")
    vendor_id: str | None = Field(description="The cheapest vendor (then the quickest); null: none")
    purchase_price: Decimal | None
    lead_time_days: int | None

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionRead:
        offer = suggestion.offer
        return cls(
            sku=suggestion.sku,
            warehouse=suggestion.warehouse,
            available=suggestion.available,
            on_order=suggestion.on_order,
            reorder_point=suggestion.reorder_point,
            quantity=suggestion.quantity,
            vendor_id=offer.vendor_id if offer else None,
            purchase_price=offer.purchase_price if offer else None,
            lead_time_days=offer.lead_time_days if offer else None,
        )
