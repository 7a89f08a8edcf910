"""The sales reports' queries over the sales read model (adapters/sales_model.py), joined with
this service's orders and quotes (owner, team, visibility, filters).

Every query keeps to confirmed orders (open or concluded) that the viewer may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.ownership import ownership_conditions
from orders.adapters.tables import (
    customers,
    order_lines,
    orders,
    quotes,
    sales_intake,
    sales_lines,
    sales_milestones,
    sales_quotes,
    sales_revenue,
    sales_settlements,
    sales_shipped,
)
from orders.domain.ownership import Viewer
from orders.domain.reports import CycleTime, ReportFilters, SalesBy

CONFIRMED = ("open", "concluded")


def _scope(filters: ReportFilters, viewer: Viewer) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [orders.c.status.in_(CONFIRMED)]
    if filters.date_from is not None:
        conditions.append(orders.c.order_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(orders.c.order_date <= filters.date_to)
    if filters.customer_id is not None:
        conditions.append(orders.c.customer_id == filters.customer_id)
    if filters.currency is not None:
        conditions.append(orders.c.currency == filters.currency)
    if filters.sku is not None:
        # Its own alias, correlated to the order only: a report that selects from order_lines
        # too (by product, fill rate) must not have it swallowed by auto-correlation.
        matching = order_lines.alias("matching_lines")
        has_sku = (
            select(matching.c.order_id)
            .where(matching.c.order_id == orders.c.id, matching.c.sku == filters.sku)
            .correlate(orders)
        )
        conditions.append(has_sku.exists())
    conditions += ownership_conditions(
        orders, owner=filters.owner, team=filters.team, viewer=viewer
    )
    return conditions


class SqlSalesReports:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sales(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]:
        """Order intake per key and currency: orders, net and gross (products: their lines),
        from the read model."""
        query: Select[Any]
        if by is SalesBy.PRODUCT:  # from the read model's lines of each order
            query = (
                select(
                    sales_lines.c.sku.label("key"),
                    func.min(sales_lines.c.description).label("label"),
                    orders.c.currency,
                    func.count(func.distinct(orders.c.id)).label("orders"),
                    func.sum(sales_lines.c.quantity).label("quantity"),
                    func.sum(sales_lines.c.net).label("net"),
                    func.sum(sales_lines.c.gross).label("gross"),
                )
                .select_from(sales_lines.join(orders, orders.c.id == sales_lines.c.order_id))
                .group_by(sales_lines.c.sku, orders.c.currency)
            )
            if filters.sku is not None:
                query = query.where(sales_lines.c.sku == filters.sku)
        else:
            key, label, source = self._key(by)
            query = (
                select(
                    key.label("key"),
                    label.label("label"),
                    orders.c.currency,
                    func.count(sales_intake.c.order_id).label("orders"),
                    func.sum(sales_intake.c.net).label("net"),
                    func.sum(sales_intake.c.gross).label("gross"),
                )
                .select_from(source)
                .where(~sales_intake.c.cancelled)
                .group_by(key, label, orders.c.currency)
            )
        query = query.where(*_scope(filters, viewer)).order_by("key", orders.c.currency)
        return [dict(row._mapping) for row in await self.session.execute(query)]

    @staticmethod
    def _key(by: SalesBy) -> tuple[ColumnElement[Any], ColumnElement[Any], Any]:
        """The key, its label and what to select from: the read model's intake (its net and
        gross as last revised) with the order (owner, visibility, filters)."""
        intake = sales_intake.join(orders, orders.c.id == sales_intake.c.order_id)
        if by is SalesBy.PERIOD:
            month = func.to_char(sales_intake.c.confirmed_on, "YYYY-MM")
            return month, month, intake
        if by is SalesBy.OWNER:
            owner = func.coalesce(orders.c.owner, "")
            return owner, owner, intake
        joined = intake.outerjoin(customers, customers.c.id == sales_intake.c.customer_id)
        return sales_intake.c.customer_id, func.coalesce(customers.c.name, ""), joined

    async def cycle_times(
        self, filters: ReportFilters, viewer: Viewer, steps: Sequence[tuple[str, str, str]]
    ) -> list[CycleTime]:
        """Per step (its name and the milestones it runs between): how many orders made it and
        the nearest-rank p50 and p90 of how long they took (`percentile_disc`), from the read
        model, in one statement: the server orders the durations, where reading every order's
        milestones into Python took most of a second at 130,000 orders."""
        figures: list[ColumnElement[Any]] = []
        for _, start, end in steps:
            began, ended = sales_milestones.c[f"{start}_at"], sales_milestones.c[f"{end}_at"]
            took, made_it = ended - began, ended >= began  # NULL unless both were reached
            figures += [
                func.count().filter(made_it),
                func.percentile_disc(0.5).within_group(took).filter(made_it),
                func.percentile_disc(0.9).within_group(took).filter(made_it),
            ]
        query = (
            select(*figures)
            .select_from(orders.join(sales_milestones, sales_milestones.c.order_id == orders.c.id))
            .where(*_scope(filters, viewer))
        )
        row = (await self.session.execute(query)).one()
        return [
            CycleTime(name, row[3 * n], row[3 * n + 1], row[3 * n + 2])
            for n, (name, _, _) in enumerate(steps)
        ]

    async def fill(self, filters: ReportFilters, viewer: Viewer) -> dict[str, Any]:
        """Ordered and shipped quantities of the product lines, and lines shipped complete,
        from the read model: what shipped of a SKU goes to the order's lines of that SKU in
        line order, each up to its quantity."""
        # The orders in scope joined first: the running sum over lines and the shipped sums are
        # then taken over their lines only (over every line they took 0.22 s for a month's
        # orders). A subquery, not a CTE, so that each join is planned with its own indexes.
        scoped = select(orders.c.id).where(*_scope(filters, viewer)).subquery("scoped")
        shipments_query = (
            select(
                sales_shipped.c.order_id,
                sales_shipped.c.sku,
                func.sum(sales_shipped.c.quantity).label("quantity"),
            )
            .join(scoped, scoped.c.id == sales_shipped.c.order_id)
            .group_by(sales_shipped.c.order_id, sales_shipped.c.sku)
        )
        before = func.sum(sales_lines.c.quantity).over(
            partition_by=[sales_lines.c.order_id, sales_lines.c.sku],
            order_by=sales_lines.c.line_no,
        )
        lines_query = (
            select(
                sales_lines.c.order_id,
                sales_lines.c.sku,
                sales_lines.c.quantity,
                (before - sales_lines.c.quantity).label("before"),
            )
            .join(scoped, scoped.c.id == sales_lines.c.order_id)
            .where(sales_lines.c.kind == "product")
        )
        if filters.sku is not None:  # a SKU's lines only: its running sum is its own
            lines_query = lines_query.where(sales_lines.c.sku == filters.sku)
            shipments_query = shipments_query.where(sales_shipped.c.sku == filters.sku)
        lines, shipped = lines_query.subquery(), shipments_query.subquery()
        left = func.coalesce(shipped.c.quantity, 0) - lines.c.before
        line_shipped = func.least(lines.c.quantity, func.greatest(left, 0))
        query = select(
            func.count().label("lines"),
            func.count().filter(line_shipped >= lines.c.quantity).label("lines_complete"),
            func.coalesce(func.sum(lines.c.quantity), 0).label("ordered"),
            func.coalesce(func.sum(line_shipped), 0).label("shipped"),
        ).select_from(
            lines.outerjoin(
                shipped,
                (shipped.c.order_id == lines.c.order_id) & (shipped.c.sku == lines.c.sku),
            )
        )
        return dict((await self.session.execute(query)).one()._mapping)

    async def backorders(self, filters: ReportFilters, viewer: Viewer) -> Sequence[Any]:
        """Open backordered orders, with when their reservation last failed (read model)."""
        since = (
            select(sales_milestones.c.reservation_failed_at)
            .where(sales_milestones.c.order_id == orders.c.id)
            .scalar_subquery()
        )
        query = (
            select(
                orders.c.id,
                orders.c.number,
                orders.c.customer_id,
                orders.c.owner,
                orders.c.currency,
                orders.c.gross_total,
                func.coalesce(since, orders.c.updated_at).label("since"),
            )
            .where(orders.c.status == "open", orders.c.fulfilment == "backordered")
            .where(*_scope(filters, viewer))
            .order_by("since", orders.c.id)
        )
        return (await self.session.execute(query)).all()

    async def quotes(self, filters: ReportFilters, viewer: Viewer, today: date) -> dict[str, Any]:
        """Quotes by quote date: how many were made (the quotes table: a draft is no event),
        and of them, from the read model, how many were sent, accepted, rejected, expired (sent,
        undecided, past their validity date) and converted into at least one order."""
        conditions: list[ColumnElement[bool]] = ownership_conditions(
            quotes, owner=filters.owner, team=filters.team, viewer=viewer
        )
        if filters.date_from is not None:
            conditions.append(quotes.c.quote_date >= filters.date_from)
        if filters.date_to is not None:
            conditions.append(quotes.c.quote_date <= filters.date_to)
        if filters.customer_id is not None:
            conditions.append(quotes.c.customer_id == filters.customer_id)
        if filters.currency is not None:
            conditions.append(quotes.c.currency == filters.currency)
        model = sales_quotes.c
        undecided = model.accepted_at.is_(None) & model.rejected_at.is_(None)
        query = (
            select(
                func.count().label("quotes"),
                func.count().filter(model.sent_at.is_not(None)).label("sent"),
                func.count().filter(model.accepted_at.is_not(None)).label("accepted"),
                func.count().filter(model.rejected_at.is_not(None)).label("rejected"),
                func.count()
                .filter(model.sent_at.is_not(None), undecided, model.valid_until < today)
                .label("expired"),
                func.count().filter(model.converted_at.is_not(None)).label("converted"),
            )
            .select_from(quotes.outerjoin(sales_quotes, model.quote_id == quotes.c.id))
            .where(*conditions)
        )
        return dict((await self.session.execute(query)).one()._mapping)

    async def receivables(self, filters: ReportFilters, viewer: Viewer) -> list[dict[str, Any]]:
        """Per owner and currency, from the read model: invoices issued on their orders, their
        net and gross, and what is still open (each invoice's gross plus its settlements:
        payments and credit notes take off, reversals add back)."""
        settled = (
            select(
                sales_settlements.c.invoice_id,
                func.sum(sales_settlements.c.amount).label("amount"),
            )
            .group_by(sales_settlements.c.invoice_id)
            .subquery()
        )
        invoice = sales_revenue
        owner = func.coalesce(orders.c.owner, "")
        query = (
            select(
                owner.label("owner"),
                invoice.c.currency,
                func.count().label("invoices"),
                func.sum(invoice.c.net).label("net"),
                func.sum(invoice.c.gross).label("gross"),
                func.sum(invoice.c.gross + func.coalesce(settled.c.amount, 0)).label("open"),
            )
            .select_from(
                invoice.join(orders, orders.c.id == invoice.c.order_id).outerjoin(
                    settled, settled.c.invoice_id == invoice.c.document_id
                )
            )
            .where(invoice.c.kind == "invoice", *_scope(filters, viewer))
            .group_by(owner, invoice.c.currency)
            .order_by("owner", invoice.c.currency)
        )
        return [dict(row._mapping) for row in await self.session.execute(query)]
