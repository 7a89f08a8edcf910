"""In-memory vendors, purchase orders and returns behind their Protocols, for the unit tests and
the repository contract (`integration/test_purchasing_contract.py` holds them to the SQL)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from inventory.domain.purchasing import (
    OPEN,
    Offer,
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
    ReorderPoint,
    Vendor,
    VendorDetails,
)
from inventory.domain.returns import ReturnAuthorisation, ReturnStatus
from inventory.service_layer.purchasing_ports import Page
from servicekit.numbers import format_yearly_number


class Now(Protocol):
    @property
    def now(self) -> datetime: ...


def _page(items: list[Any], limit: int) -> Page[Any]:
    return items[:limit], len(items) > limit


class FakeVendors:
    def __init__(self, clock: Now) -> None:
        self.clock = clock
        self.rows: dict[str, Vendor] = {}

    async def add(self, vendor_id: str, details: VendorDetails) -> Vendor:
        now = self.clock.now
        vendor = Vendor(id=vendor_id, created_at=now, updated_at=now, **_fields(details))
        self.rows[vendor_id] = vendor
        return vendor

    async def replace(self, vendor_id: str, details: VendorDetails) -> Vendor | None:
        current = self.rows.get(vendor_id)
        if current is None:
            return None
        vendor = replace(current, updated_at=self.clock.now, **_fields(details))
        self.rows[vendor_id] = vendor
        return vendor

    async def get(self, vendor_id: str) -> Vendor | None:
        return self.rows.get(vendor_id)

    async def offers(self, skus: Collection[str]) -> dict[str, list[Offer]]:
        found: dict[str, list[Offer]] = {}
        for vendor in self.rows.values():
            for item in vendor.supplies:
                if item.sku in skus:
                    offer = Offer(vendor.id, item.purchase_price, item.lead_time_days)
                    found.setdefault(item.sku, []).append(offer)
        return found

    async def page(
        self, *, limit: int, after: tuple[str, str] | None, text: str | None
    ) -> Page[Vendor]:
        needle = (text or "").lower()
        ordered = sorted(self.rows.values(), key=lambda v: (v.name, v.id))
        return _page(
            [
                v
                for v in ordered
                if (after is None or (v.name, v.id) > after)
                and (needle in v.name.lower() or needle in (v.email or "").lower())
            ],
            limit,
        )


class FakeReorderPoints:
    def __init__(self) -> None:
        self.rows: dict[str, ReorderPoint] = {}  # the products' points
        self.own: dict[tuple[str, str], ReorderPoint] = {}  # (warehouse, sku) → its own point

    def effective(self, sku: str, warehouse: str) -> ReorderPoint | None:
        return self.own.get((warehouse, sku)) or self.rows.get(sku)

    async def set(self, point: ReorderPoint) -> None:
        if point.warehouse is None:
            self.rows[point.sku] = point
        else:
            self.own[point.warehouse, point.sku] = point

    async def remove(self, sku: str, warehouse: str | None) -> bool:
        if warehouse is None:
            return self.rows.pop(sku, None) is not None
        return self.own.pop((warehouse, sku), None) is not None

    async def all(self) -> list[ReorderPoint]:
        points = [*self.rows.values(), *self.own.values()]
        return sorted(points, key=lambda p: (p.sku, p.warehouse or ""))

    async def lock_drafting(self) -> None:
        return None  # one unit of work at a time in memory


def _fields(details: VendorDetails) -> dict[str, Any]:
    """The details as stored: supplied products in SKU order."""
    values = {name: getattr(details, name) for name in VendorDetails.__dataclass_fields__}
    values["supplies"] = tuple(sorted(details.supplies, key=lambda item: item.sku))
    return values


class FakePurchaseOrders:
    def __init__(self, clock: Now) -> None:
        self.clock = clock
        self.rows: dict[str, PurchaseOrder] = {}
        self.receipt_rows: list[Receipt] = []
        self.last_numbers: dict[int, int] = {}
        self.sequence = itertools.count()

    async def next_number(self, year: int) -> str:
        self.last_numbers[year] = self.last_numbers.get(year, 0) + 1
        return format_yearly_number("PO", year, self.last_numbers[year])

    async def add(self, order: PurchaseOrder) -> PurchaseOrder:
        stored = copy.deepcopy(order)
        stored.created_at = stored.updated_at = self.clock.now
        self.rows[order.id] = stored
        return copy.deepcopy(stored)

    async def get(
        self, purchase_order_id: str, *, for_update: bool = False
    ) -> PurchaseOrder | None:
        order = self.rows.get(purchase_order_id)
        return copy.deepcopy(order) if order is not None else None

    async def save(self, order: PurchaseOrder) -> PurchaseOrder:
        stored = copy.deepcopy(order)
        stored.updated_at = self.clock.now
        if stored.status is PurchaseOrderStatus.SENT and stored.sent_at is None:
            stored.sent_at = self.clock.now
        self.rows[order.id] = stored
        return copy.deepcopy(stored)

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        vendor_id: str | None,
        status: PurchaseOrderStatus | None,
    ) -> Page[PurchaseOrder]:
        def key(order: PurchaseOrder) -> tuple[datetime, str]:
            return order.created_at or datetime.min.replace(tzinfo=UTC), order.id

        return _page(
            [
                copy.deepcopy(o)
                for o in sorted(self.rows.values(), key=key)
                if (after is None or key(o) > after)
                and vendor_id in (None, o.vendor_id)
                and status in (None, o.status)
            ],
            limit,
        )

    async def add_receipt(
        self, *, receipt_id: str, order: PurchaseOrder, lines: Mapping[str, Decimal]
    ) -> datetime:
        receipt = Receipt(
            id=receipt_id,
            purchase_order_id=order.id,
            warehouse=order.warehouse,
            lines=dict(sorted(lines.items())),
            created_at=self.clock.now,
        )
        self.receipt_rows.append(receipt)
        return self.clock.now

    async def receipts(self, purchase_order_id: str) -> list[Receipt]:
        return [r for r in self.receipt_rows if r.purchase_order_id == purchase_order_id]

    async def incoming(
        self, skus: Collection[str], *, drafts: bool = False, warehouse: str | None = None
    ) -> dict[str, Decimal]:
        statuses = (*OPEN, *((PurchaseOrderStatus.DRAFT,) if drafts else ()))
        due: dict[str, Decimal] = {}
        for order in self.rows.values():
            if order.status not in statuses or warehouse not in (None, order.warehouse):
                continue
            for line in order.lines:
                if line.sku in skus and line.open > 0:
                    due[line.sku] = due.get(line.sku, Decimal(0)) + line.open
        return due


class FakeReturns:
    def __init__(self, clock: Now) -> None:
        self.clock = clock
        self.rows: dict[str, ReturnAuthorisation] = {}
        self.last_numbers: dict[int, int] = {}

    async def next_number(self, year: int) -> str:
        self.last_numbers[year] = self.last_numbers.get(year, 0) + 1
        return format_yearly_number("RMA", year, self.last_numbers[year])

    async def add(self, rma: ReturnAuthorisation) -> ReturnAuthorisation:
        stored = copy.deepcopy(rma)
        stored.lines = dict(sorted(stored.lines.items()))
        stored.created_at = self.clock.now
        self.rows[rma.id] = stored
        return copy.deepcopy(stored)

    async def get(self, return_id: str, *, for_update: bool = False) -> ReturnAuthorisation | None:
        rma = self.rows.get(return_id)
        return copy.deepcopy(rma) if rma is not None else None

    async def save(self, rma: ReturnAuthorisation) -> ReturnAuthorisation:
        stored = copy.deepcopy(rma)
        if stored.status is ReturnStatus.RECEIVED and stored.received_at is None:
            stored.received_at = self.clock.now
        if stored.dispositions is not None:
            stored.dispositions = dict(sorted(stored.dispositions.items()))
        self.rows[rma.id] = stored
        return copy.deepcopy(stored)

    async def returned(self, order_id: str) -> dict[str, Decimal]:
        taken: dict[str, Decimal] = {}
        for rma in self.rows.values():
            if rma.order_id == order_id and rma.status is not ReturnStatus.CANCELLED:
                for sku, quantity in rma.lines.items():
                    taken[sku] = taken.get(sku, Decimal(0)) + quantity
        return taken

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        order_id: str | None,
        status: ReturnStatus | None,
    ) -> Page[ReturnAuthorisation]:
        def key(rma: ReturnAuthorisation) -> tuple[datetime, str]:
            return rma.created_at or datetime.min.replace(tzinfo=UTC), rma.id

        return _page(
            [
                copy.deepcopy(r)
                for r in sorted(self.rows.values(), key=key)
                if (after is None or key(r) > after)
                and order_id in (None, r.order_id)
                and status in (None, r.status)
            ],
            limit,
        )
