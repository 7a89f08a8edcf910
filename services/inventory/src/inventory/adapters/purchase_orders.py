"""Purchase orders, their lines and their receipts, in SQL."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.engine import Row

from inventory.adapters.purchasing_tables import (
    purchase_order_lines,
    purchase_order_number_counters,
    purchase_orders,
    purchase_receipt_lines,
    purchase_receipts,
)
from inventory.domain.purchasing import (
    OPEN,
    PurchaseLine,
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
)
from inventory.service_layer.ports import Page
from servicekit.numbering import format_yearly_number, next_in_year
from servicekit.unit_of_work import SqlRepository

NUMBER_PREFIX = "PO"


class SqlPurchaseOrderRepository(SqlRepository):
    async def next_number(self, year: int) -> str:
        sequence = await next_in_year(self.session, purchase_order_number_counters, year)
        return format_yearly_number(NUMBER_PREFIX, year, sequence)

    async def add(self, order: PurchaseOrder) -> PurchaseOrder:
        await self.session.execute(
            purchase_orders.insert().values(
                id=order.id,
                number=order.number,
                vendor_id=order.vendor_id,
                currency=order.currency,
                warehouse=order.warehouse,
                status=order.status.value,
                expected_date=order.expected_date,
                notes=order.notes,
            )
        )
        await self.session.execute(
            purchase_order_lines.insert(),
            [
                {
                    "purchase_order_id": order.id,
                    "line_no": line_no,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "expected_date": line.expected_date,
                    "allow_over_receipt": line.allow_over_receipt,
                    "received": line.received,
                }
                for line_no, line in enumerate(order.lines, start=1)
            ],
        )
        stored = await self.get(order.id)
        assert stored is not None
        return stored

    async def get(
        self, purchase_order_id: str, *, for_update: bool = False
    ) -> PurchaseOrder | None:
        query = select(purchase_orders).where(purchase_orders.c.id == purchase_order_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return (await self._with_lines([row]))[0]

    async def save(self, order: PurchaseOrder) -> PurchaseOrder:
        """Store its status (the sending time with it) and what each line has received."""
        sent = order.status is PurchaseOrderStatus.SENT and order.sent_at is None
        await self.session.execute(
            update(purchase_orders)
            .where(purchase_orders.c.id == order.id)
            .values(
                status=order.status.value,
                updated_at=func.now(),
                **({"sent_at": func.now()} if sent else {}),
            )
        )
        for line_no, line in enumerate(order.lines, start=1):
            await self.session.execute(
                update(purchase_order_lines)
                .where(
                    purchase_order_lines.c.purchase_order_id == order.id,
                    purchase_order_lines.c.line_no == line_no,
                    purchase_order_lines.c.received != line.received,
                )
                .values(received=line.received)
            )
        stored = await self.get(order.id)
        assert stored is not None
        return stored

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        vendor_id: str | None,
        status: PurchaseOrderStatus | None,
    ) -> Page[PurchaseOrder]:
        query = (
            select(purchase_orders)
            .order_by(purchase_orders.c.created_at, purchase_orders.c.id)
            .limit(limit + 1)
        )
        if after is not None:
            query = query.where(
                tuple_(purchase_orders.c.created_at, purchase_orders.c.id) > tuple_(*after)
            )
        if vendor_id is not None:
            query = query.where(purchase_orders.c.vendor_id == vendor_id)
        if status is not None:
            query = query.where(purchase_orders.c.status == status.value)
        rows = list((await self.session.execute(query)).all())
        return await self._with_lines(rows[:limit]), len(rows) > limit

    async def add_receipt(
        self, *, receipt_id: str, order: PurchaseOrder, lines: Mapping[str, Decimal]
    ) -> datetime:
        created_at: datetime = (
            await self.session.execute(
                purchase_receipts.insert()
                .values(id=receipt_id, purchase_order_id=order.id, warehouse=order.warehouse)
                .returning(purchase_receipts.c.created_at)
            )
        ).scalar_one()
        await self.session.execute(
            purchase_receipt_lines.insert(),
            [{"receipt_id": receipt_id, "sku": sku, "quantity": q} for sku, q in lines.items()],
        )
        return created_at

    async def receipts(self, purchase_order_id: str) -> list[Receipt]:
        rows = (
            await self.session.execute(
                select(purchase_receipts)
                .where(purchase_receipts.c.purchase_order_id == purchase_order_id)
                .order_by(purchase_receipts.c.created_at, purchase_receipts.c.id)
            )
        ).all()
        lines: dict[str, dict[str, Decimal]] = {row.id: {} for row in rows}
        if lines:
            for line in await self.session.execute(
                select(purchase_receipt_lines)
                .where(purchase_receipt_lines.c.receipt_id.in_(list(lines)))
                .order_by(purchase_receipt_lines.c.sku)
            ):
                lines[line.receipt_id][line.sku] = line.quantity
        return [
            Receipt(
                id=row.id,
                purchase_order_id=row.purchase_order_id,
                warehouse=row.warehouse,
                lines=lines[row.id],
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def incoming(
        self, skus: Collection[str], *, drafts: bool = False, warehouse: str | None = None
    ) -> dict[str, Decimal]:
        """Per SKU, what open purchase orders (and drafts, if asked) still expect; a SKU
        expecting nothing is left out."""
        statuses = [*OPEN, *((PurchaseOrderStatus.DRAFT,) if drafts else ())]
        if not skus:
            return {}
        open_quantity = func.greatest(
            purchase_order_lines.c.quantity - purchase_order_lines.c.received, 0
        )
        query = (
            select(purchase_order_lines.c.sku, func.sum(open_quantity))
            .join(purchase_orders, purchase_orders.c.id == purchase_order_lines.c.purchase_order_id)
            .where(
                purchase_order_lines.c.sku.in_(sorted(skus)),
                purchase_orders.c.status.in_([status.value for status in statuses]),
            )
            .group_by(purchase_order_lines.c.sku)
        )
        if warehouse is not None:
            query = query.where(purchase_orders.c.warehouse == warehouse)
        rows = await self.session.execute(query)
        return {sku: total for sku, total in rows if total > 0}

    async def _with_lines(self, rows: list[Row[Any]]) -> list[PurchaseOrder]:
        lines: dict[str, list[PurchaseLine]] = {row.id: [] for row in rows}
        if lines:
            for line in await self.session.execute(
                select(purchase_order_lines)
                .where(purchase_order_lines.c.purchase_order_id.in_(list(lines)))
                .order_by(purchase_order_lines.c.purchase_order_id, purchase_order_lines.c.line_no)
            ):
                lines[line.purchase_order_id].append(
                    PurchaseLine(
                        sku=line.sku,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        expected_date=line.expected_date,
                        allow_over_receipt=line.allow_over_receipt,
                        received=line.received,
                    )
                )
        return [
            PurchaseOrder(
                id=row.id,
                number=row.number,
                vendor_id=row.vendor_id,
                currency=row.currency,
                warehouse=row.warehouse,
                status=PurchaseOrderStatus(row.status),
                lines=lines[row.id],
                expected_date=row.expected_date,
                notes=row.notes,
                created_at=row.created_at,
                updated_at=row.updated_at,
                sent_at=row.sent_at,
            )
            for row in rows
        ]
