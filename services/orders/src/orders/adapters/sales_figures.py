"""Queries of the sales read model (adapters/sales_model.py): revenue net of credit notes and
order intake, per month, owner or customer and currency, as the viewer may see the orders.

The read model holds what the events said; who owns an order (and so who may see its figures)
is the order's owner now, joined from the orders table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.ownership import ownership_conditions
from orders.adapters.tables import (
    customers,
    orders,
    sales_intake,
    sales_revenue,
    sales_total_changes,
    sales_totals,
)
from orders.domain.ownership import Viewer
from orders.domain.reports import ReportFilters, SalesBy

ZERO = Decimal(0)


def _conditions(
    table: Table, day: ColumnElement[Any], filters: ReportFilters, viewer: Viewer
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.date_from is not None:
        conditions.append(day >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(day <= filters.date_to)
    if filters.customer_id is not None:
        conditions.append(table.c.customer_id == filters.customer_id)
    if filters.currency is not None:
        conditions.append(table.c.currency == filters.currency)
    return conditions + ownership_conditions(
        orders, owner=filters.owner, team=filters.team, viewer=viewer
    )


def _key(
    by: SalesBy, table: Table, day: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    if by is SalesBy.PERIOD:
        month = func.to_char(day, "YYYY-MM")
        return month, month
    if by is SalesBy.OWNER:
        owner = func.coalesce(orders.c.owner, "")
        return owner, owner
    return table.c.customer_id, func.coalesce(func.min(customers.c.name), "")


class SqlSalesFigures:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def revenue(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]:
        """Per key and currency: invoices and credit notes, their nets, and revenue net of
        credit notes (by issue date)."""
        table, day = sales_revenue, sales_revenue.c.issued_on
        key, label = _key(by, table, day)
        invoice = table.c.kind == "invoice"
        query = (
            select(
                key.label("key"),
                label.label("label"),
                table.c.currency,
                func.count().filter(invoice).label("invoices"),
                func.count().filter(~invoice).label("credit_notes"),
                func.coalesce(func.sum(case((invoice, table.c.net), else_=ZERO)), ZERO).label(
                    "invoiced_net"
                ),
                func.coalesce(func.sum(case((invoice, ZERO), else_=-table.c.net)), ZERO).label(
                    "credited_net"
                ),
                func.sum(table.c.net).label("net"),
                func.sum(table.c.gross).label("gross"),
            )
            .select_from(self._joined(table))
            .where(*_conditions(table, day, filters, viewer))
            .group_by(key, table.c.currency)
            .order_by("key", table.c.currency)
        )
        return [dict(row._mapping) for row in await self.session.execute(query)]

    async def intake(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]:
        """Per key and currency: confirmed orders not cancelled, their net and gross as last
        revised (by order date)."""
        table, day = sales_intake, sales_intake.c.confirmed_on
        key, label = _key(by, table, day)
        query = (
            select(
                key.label("key"),
                label.label("label"),
                table.c.currency,
                func.count().label("orders"),
                func.sum(table.c.net).label("net"),
                func.sum(table.c.gross).label("gross"),
            )
            .select_from(self._joined(table))
            .where(~table.c.cancelled, *_conditions(table, day, filters, viewer))
            .group_by(key, table.c.currency)
            .order_by("key", table.c.currency)
        )
        return [dict(row._mapping) for row in await self.session.execute(query)]

    async def totals(self) -> dict[str, dict[str, Decimal]]:
        """All-time figures per currency for the metrics: revenue net, credited, intake net.

        The changes recorded since the last call are folded into the kept totals first (in the
        caller's transaction), so the cost follows what changed, not all history (ADR 49).
        Folders running at once each take the changes they deleted; the totals' rows are
        locked in one order, so two of them never deadlock."""
        moved = (
            delete(sales_total_changes)
            .returning(
                sales_total_changes.c.currency,
                sales_total_changes.c.measure,
                sales_total_changes.c.amount,
            )
            .cte("moved")
        )
        summed = (
            select(moved.c.currency, moved.c.measure, func.sum(moved.c.amount))
            .group_by(moved.c.currency, moved.c.measure)
            .order_by(moved.c.currency, moved.c.measure)
        )
        fold = insert(sales_totals).from_select(["currency", "measure", "amount"], summed)
        fold = fold.on_conflict_do_update(
            constraint=sales_totals.primary_key,
            set_={"amount": sales_totals.c.amount + fold.excluded.amount},
        )
        await self.session.execute(fold)
        found: dict[str, dict[str, Decimal]] = {}
        kept = select(sales_totals.c.currency, sales_totals.c.measure, sales_totals.c.amount)
        for currency, measure, amount in await self.session.execute(kept):
            found.setdefault(currency, {})[measure] = amount
        return found

    @staticmethod
    def _joined(table: Table) -> Any:
        return table.join(orders, orders.c.id == table.c.order_id).outerjoin(
            customers, customers.c.id == table.c.customer_id
        )
