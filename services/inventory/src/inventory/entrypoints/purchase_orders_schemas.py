"""Bodies of the purchase order and receipt routes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from contracts.common import CurrencyCode
from inventory.domain.purchasing import (
    PurchaseLineInput,
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
)
from inventory.entrypoints.common import QuantityOut, Sku
from inventory.entrypoints.shipments_schemas import QuantityIn
from inventory.entrypoints.vendors_schemas import UnitPrice, iso_currency
from servicekit.api import RequestBody
from servicekit.pagination import Page

VendorId = Annotated[str, Field(min_length=1, max_length=36)]


class PurchaseLineCreate(RequestBody):
    sku: Sku
    quantity: QuantityIn
    unit_price: UnitPrice | None = Field(
        default=None, description="Left out: the vendor's purchase price of the product"
    )
    expected_date: date | None = Field(
        default=None, description="Left out: the order's, else today plus the vendor's lead time"
    )
    allow_over_receipt: bool = False

    def command(self) -> PurchaseLineInput:
        return PurchaseLineInput(
            sku=self.sku,
            quantity=self.quantity,
            unit_price=self.unit_price,
            expected_date=self.expected_date,
            allow_over_receipt=self.allow_over_receipt,
        )


class PurchaseOrderCreate(RequestBody):
    vendor_id: VendorId
    currency: CurrencyCode | None = Field(default=None, description="Left out: the vendor's")
    expected_date: date | None = None
    notes: Annotated[str, Field(max_length=4000)] | None = None
    lines: list[PurchaseLineCreate] = Field(min_length=1, max_length=500)

    @field_validator("currency")
    @classmethod
    def known_currency(cls, code: str | None) -> str | None:
        return None if code is None else iso_currency(code)


class PurchaseLineRead(BaseModel):
    line_no: int
    sku: str
    quantity: QuantityOut
    unit_price: Decimal
    net: Decimal
    expected_date: date | None
    allow_over_receipt: bool
    received: QuantityOut
    open: QuantityOut


class PurchaseOrderRead(BaseModel):
    id: str
    number: str
    vendor_id: str
    currency: str
    warehouse: str
    status: PurchaseOrderStatus
    expected_date: date | None
    notes: str | None
    lines: list[PurchaseLineRead]
    total: Decimal
    created_at: datetime | None
    updated_at: datetime | None
    sent_at: datetime | None

    @classmethod
    def of(cls, order: PurchaseOrder) -> PurchaseOrderRead:
        return cls(
            id=order.id,
            number=order.number,
            vendor_id=order.vendor_id,
            currency=order.currency,
            warehouse=order.warehouse,
            status=order.status,
            expected_date=order.expected_date,
            notes=order.notes,
            lines=[
                PurchaseLineRead(
                    line_no=line_no,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    net=line.net(order.currency),
                    expected_date=line.expected_date,
                    allow_over_receipt=line.allow_over_receipt,
                    received=line.received,
                    open=line.open,
                )
                for line_no, line in enumerate(order.lines, start=1)
            ],
            total=order.total,
            created_at=order.created_at,
            updated_at=order.updated_at,
            sent_at=order.sent_at,
        )


class PurchaseOrderPage(Page[PurchaseOrderRead]):
    """A page of purchase orders, oldest first."""


class ReceiptLineCreate(RequestBody):
    sku: Sku
    quantity: QuantityIn


class ReceiptCreate(RequestBody):
    lines: list[ReceiptLineCreate] = Field(min_length=1, max_length=500)


class ReceiptLineRead(BaseModel):
    sku: str
    quantity: QuantityOut


class ReceiptRead(BaseModel):
    id: str
    purchase_order_id: str
    warehouse: str
    lines: list[ReceiptLineRead]
    reserved_orders: list[str] = Field(description="Backordered orders this receipt reserved")
    created_at: datetime

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptRead:
        return cls(
            id=receipt.id,
            purchase_order_id=receipt.purchase_order_id,
            warehouse=receipt.warehouse,
            lines=[ReceiptLineRead(sku=sku, quantity=q) for sku, q in receipt.lines.items()],
            reserved_orders=list(receipt.reserved_orders),
            created_at=receipt.created_at,
        )
