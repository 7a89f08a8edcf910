"""What the purchasing and returns use cases need from storage: vendors, purchase orders with
their receipts, and customers' returns.

The SQL adapters are `inventory.adapters.vendors`, `.purchase_orders` and `.returns`; the
unit tests' fakes keep the same behaviour (the repository contract tests hold both to it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from inventory.domain.purchasing import (
    Offer,
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
    ReorderPoint,
    Vendor,
    VendorDetails,
)
from inventory.domain.returns import ReturnAuthorisation, ReturnStatus

T = TypeVar("T")

Page = tuple[list[T], bool]


class VendorRepository(Protocol):
    async def add(self, vendor_id: str, details: VendorDetails) -> Vendor: ...

    async def replace(self, vendor_id: str, details: VendorDetails) -> Vendor | None:
        """Replace every field and the supplied products; None for an unknown vendor."""
        ...

    async def get(self, vendor_id: str) -> Vendor | None: ...

    async def page(
        self, *, limit: int, after: tuple[str, str] | None, text: str | None
    ) -> Page[Vendor]:
        """In (name, id) order after `after`; `text` is found in the name or e-mail."""
        ...

    async def offers(self, skus: Collection[str]) -> dict[str, list[Offer]]:
        """Per SKU, every vendor's price and lead time for it."""
        ...


class ReorderPointRepository(Protocol):
    async def set(self, point: ReorderPoint) -> None:
        """Create or replace the product's reorder point (`warehouse` None) or its own point in
        `point.warehouse`."""
        ...

    async def remove(self, sku: str, warehouse: str | None) -> bool:
        """Drop the product's point (`warehouse` None) or the warehouse's own; False: none."""
        ...

    async def all(self) -> list[ReorderPoint]:
        """Every reorder point, the product's and the warehouses' own, in (SKU, warehouse)
        order (the product's first)."""
        ...

    async def lock_drafting(self) -> None:
        """Serialise turning suggestions into drafts, until the transaction ends."""
        ...


class PurchaseOrderRepository(Protocol):
    async def next_number(self, year: int) -> str:
        """The next gapless number of `year` (PO-2026-000001), in the caller's transaction."""
        ...

    async def add(self, order: PurchaseOrder) -> PurchaseOrder:
        """Store a new purchase order; returns it as stored (with its times)."""
        ...

    async def get(
        self, purchase_order_id: str, *, for_update: bool = False
    ) -> PurchaseOrder | None: ...

    async def save(self, order: PurchaseOrder) -> PurchaseOrder:
        """Store its status and what its lines have received; returns it as stored."""
        ...

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        vendor_id: str | None,
        status: PurchaseOrderStatus | None,
    ) -> Page[PurchaseOrder]:
        """Oldest first (creation time, then id) after `after`."""
        ...

    async def add_receipt(
        self, *, receipt_id: str, order: PurchaseOrder, lines: Mapping[str, Decimal]
    ) -> datetime:
        """Store a receipt into the order's warehouse; returns its creation time."""
        ...

    async def receipts(self, purchase_order_id: str) -> list[Receipt]:
        """The order's receipts, oldest first."""
        ...

    async def incoming(
        self, skus: Collection[str], *, drafts: bool = False, warehouse: str | None = None
    ) -> dict[str, Decimal]:
        """Per SKU, what sent and partially received purchase orders (and drafts, if asked)
        still expect (into `warehouse` only, if given)."""
        ...


class ReturnRepository(Protocol):
    async def next_number(self, year: int) -> str:
        """The next gapless number of `year` (RMA-2026-000001), in the caller's transaction."""
        ...

    async def add(self, rma: ReturnAuthorisation) -> ReturnAuthorisation: ...

    async def get(
        self, return_id: str, *, for_update: bool = False
    ) -> ReturnAuthorisation | None: ...

    async def save(self, rma: ReturnAuthorisation) -> ReturnAuthorisation:
        """Store its status, note and the lines' dispositions; returns it as stored."""
        ...

    async def returned(self, order_id: str) -> dict[str, Decimal]:
        """Per SKU, what the order's returns, cancelled ones aside, take back."""
        ...

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        order_id: str | None,
        status: ReturnStatus | None,
    ) -> Page[ReturnAuthorisation]:
        """Oldest first (creation time, then id) after `after`."""
        ...
