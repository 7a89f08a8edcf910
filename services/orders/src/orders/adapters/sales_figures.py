"""Queries of the sales read model (adapters/sales_model.py): revenue net of credit notes and
order intake, per month, owner or customer and currency, as the viewer may see the orders.

The read model holds what the events said; who owns an order (and so who may see its figures)
is the order's owner now, joined from the orders table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.ownership import ownership_conditions
from orders.adapters.tables import customers, orders, sales_intake, sales_revenue
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
        """All-time figures per currency for the metrics: revenue net, credited, intake net."""
        found: dict[str, dict[str, Decimal]] = {}
        revenue = select(
            sales_revenue.c.currency,
            func.sum(sales_revenue.c.net),
            func.coalesce(
                func.sum(-sales_revenue.c.net).filter(sales_revenue.c.kind == "credit_note"), ZERO
            ),
        ).group_by(sales_revenue.c.currency)
        for currency, net, credited in await self.session.execute(revenue):
            found.setdefault(currency, {}).update(revenue_net=net, credited_net=credited)
        intake = (
            select(sales_intake.c.currency, func.sum(sales_intake.c.net))
            .where(~sales_intake.c.cancelled)
            .group_by(sales_intake.c.currency)
        )
        for currency, net in await self.session.execute(intake):
            found.setdefault(currency, {})["intake_net"] = net
        return found

    @staticmethod
    def _joined(table: Table) -> Any:
        return table.join(orders, orders.c.id == table.c.order_id).outerjoin(
            customers, customers.c.id == table.c.customer_id
        )
