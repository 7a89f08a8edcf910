"""PostgreSQL storage of what billing knows about orders: snapshot, policy, shipped and
invoiced quantities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.order_tables import (
    HAS_RECURRING_SCHEDULE,
    billable_orders,
    down_payment_lines,
    order_shipments,
    recurring_invoices,
)
from billing.adapters.tables import invoice_lines, invoices
from billing.domain.invoicing_policy import Invoiced, InvoicingPolicy
from billing.service_layer.order_invoicing import BillableOrder
from servicekit.db import insert_new_rows
from servicekit.unit_of_work import SqlRepository

# Open and concluded orders with a recurring schedule (the partial index's orders alone).
RECURRING_CANDIDATES = (
    select(billable_orders.c.order_id)
    .where(billable_orders.c.status.in_(("open", "concluded")), HAS_RECURRING_SCHEDULE)
    .order_by(billable_orders.c.order_id)
)

_NEW_ROW = insert(billable_orders).values(order_id=bindparam("order_id"))
# Created if new, locked (an update to itself locks like FOR UPDATE) and read: one round trip.
_CREATE_OR_LOCK = _NEW_ROW.on_conflict_do_update(
    index_elements=[billable_orders.c.order_id],
    set_={"order_id": _NEW_ROW.excluded.order_id},
).returning(*billable_orders.c)

# Created if new, its snapshot and status set, locked and read: one round trip for `lock` and
# `save` (the policy is kept).
_NEW_STATE = insert(billable_orders).values(
    order_id=bindparam("order_id"), snapshot=bindparam("snapshot"), status=bindparam("status")
)
_STATE = _NEW_STATE.on_conflict_do_update(
    index_elements=[billable_orders.c.order_id],
    set_={
        "snapshot": _NEW_STATE.excluded.snapshot,
        "status": _NEW_STATE.excluded.status,
        "updated_at": func.now(),
    },
).returning(*billable_orders.c)

_SAVE = (
    billable_orders.update()
    .where(billable_orders.c.order_id == bindparam("order_to_save"))  # not the column's name:
    .values(  # an UPDATE keeps that for its SET clause
        snapshot=bindparam("snapshot"),
        policy=bindparam("policy"),
        status=bindparam("status"),
        updated_at=func.now(),
    )
)
# What an order shipped, by SKU (the `order_id` parameter).
_SHIPPED = (
    select(order_shipments.c.sku, func.sum(order_shipments.c.quantity))
    .where(order_shipments.c.order_id == bindparam("order_id"))
    .group_by(order_shipments.c.sku)
)
# What an order's lines were invoiced (the `order_id` parameter); recurring invoices, down
# payments and their deductions are no order lines. Built once: it runs for every invoice.
_INVOICED = (
    select(
        invoice_lines.c.line_no,
        func.sum(invoice_lines.c.quantity),
        func.sum(invoice_lines.c.net_amount),
        func.sum(invoice_lines.c.tax_amount),
    )
    .join(invoices, invoices.c.id == invoice_lines.c.invoice_id)
    .where(
        invoices.c.order_id == bindparam("order_id"),
        invoices.c.id.not_in(select(recurring_invoices.c.invoice_id)),
        ~exists().where(
            down_payment_lines.c.invoice_id == invoice_lines.c.invoice_id,
            down_payment_lines.c.line_no == invoice_lines.c.line_no,
        ),
    )
    .group_by(invoice_lines.c.line_no)
)


class SqlBillableOrders(SqlRepository):
    async def lock(self, order_id: str) -> BillableOrder:
        row = (await self.session.execute(_CREATE_OR_LOCK, {"order_id": order_id})).mappings()
        return _billable(row.one())

    async def get(self, order_id: str) -> BillableOrder | None:
        query = select(billable_orders).where(billable_orders.c.order_id == order_id)
        row = (await self.session.execute(query)).mappings().first()
        return _billable(row) if row is not None else None

    async def save(self, order: BillableOrder) -> None:
        await self.session.execute(
            _SAVE,
            {
                "order_to_save": order.order_id,
                "snapshot": order.snapshot,
                "policy": order.policy.value if order.policy is not None else None,
                "status": order.status,
            },
        )

    async def state(self, order_id: str, snapshot: dict[str, Any], status: str) -> BillableOrder:
        parameters = {"order_id": order_id, "snapshot": snapshot, "status": status}
        return _billable((await self.session.execute(_STATE, parameters)).mappings().one())

    async def add_shipment(
        self, order_id: str, shipment_id: str, lines: Iterable[tuple[str, Decimal]]
    ) -> None:
        totals: dict[str, Decimal] = {}
        for sku, quantity in lines:
            totals[sku] = totals.get(sku, Decimal(0)) + quantity
        await insert_new_rows(
            self.session,
            order_shipments,
            [
                {"order_id": order_id, "shipment_id": shipment_id, "sku": sku, "quantity": q}
                for sku, q in totals.items()
            ],
        )

    async def shipped(self, order_id: str) -> dict[str, Decimal]:
        found = await self.session.execute(_SHIPPED, {"order_id": order_id})
        return {sku: Decimal(total) for sku, total in found.all()}

    async def invoiced(self, order_id: str) -> dict[int, Invoiced]:
        found = await self.session.execute(_INVOICED, {"order_id": order_id})
        return {
            line_no: Invoiced(quantity=Decimal(q), net=Decimal(net), tax=Decimal(tax))
            for line_no, q, net, tax in found.all()
        }

    async def recurring_candidates(self) -> list[str]:
        return list((await self.session.execute(RECURRING_CANDIDATES)).scalars())

    async def recurring_periods(self, order_id: str) -> set[date]:
        query = select(recurring_invoices.c.period_start).where(
            recurring_invoices.c.order_id == order_id
        )
        return set((await self.session.execute(query)).scalars())

    async def add_recurring(self, order_id: str, period_start: date, invoice_id: str) -> None:
        await self.session.execute(
            recurring_invoices.insert().values(
                order_id=order_id, period_start=period_start, invoice_id=invoice_id
            )
        )


def _billable(row: Any) -> BillableOrder:
    policy = row["policy"]
    return BillableOrder(
        order_id=row["order_id"],
        snapshot=row["snapshot"],
        policy=InvoicingPolicy(policy) if policy is not None else None,
        status=row["status"],
    )
