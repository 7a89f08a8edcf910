"""Use cases: the sales reports (sales by period, owner, customer or product; order cycle
time; fill rate; backorder ageing), always as the viewer may see the orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from orders.domain.ownership import Viewer
from orders.domain.reports import (
    AGE_BUCKETS,
    CycleTime,
    ReportFilters,
    SalesBy,
    age_bucket,
    hours,
)
from pricing.amounts import in_currency, round_money

STEPS = (
    ("confirmed_to_shipped", "confirmed", "shipped"),
    ("shipped_to_invoiced", "shipped", "invoiced"),
    ("invoiced_to_paid", "invoiced", "paid"),
    ("confirmed_to_paid", "confirmed", "paid"),
)


class SalesReports(Protocol):
    async def sales(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]: ...

    async def cycle_times(
        self, filters: ReportFilters, viewer: Viewer, steps: Sequence[tuple[str, str, str]]
    ) -> list[CycleTime]: ...

    async def fill(self, filters: ReportFilters, viewer: Viewer) -> dict[str, Any]: ...

    async def backorders(self, filters: ReportFilters, viewer: Viewer) -> Sequence[Any]: ...

    async def quotes(
        self, filters: ReportFilters, viewer: Viewer, today: date
    ) -> dict[str, Any]: ...

    async def receivables(self, filters: ReportFilters, viewer: Viewer) -> list[dict[str, Any]]: ...


async def sales(
    reports: SalesReports,
    by: SalesBy,
    filters: ReportFilters,
    viewer: Viewer,
    *,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """One row per key and currency: `{key, label, currency, orders, net, gross}` (and the
    `quantity` of a product); the average order value per row. `top`: only the largest by net
    of each currency (top customers, top products), largest first."""
    rows = await reports.sales(by, filters, viewer)
    if top is not None:
        kept: list[dict[str, Any]] = []
        taken: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: (r["currency"], -Decimal(r["net"]))):
            if taken.get(row["currency"], 0) < top:
                kept.append(row)
                taken[row["currency"]] = taken.get(row["currency"], 0) + 1
        rows = kept
    for row in rows:
        currency = row["currency"]
        gross = Decimal(row["gross"])
        row["average_order_value"] = (
            round_money(gross / row["orders"], currency) if row["orders"] else None
        )
        row["net"] = in_currency(Decimal(row["net"]), currency)
        row["gross"] = in_currency(gross, currency)
    return rows


async def cycle_time(
    reports: SalesReports, filters: ReportFilters, viewer: Viewer
) -> list[dict[str, Any]]:
    """Per step (confirmed → shipped → invoiced → paid): how many orders made it, and the p50
    and p90 of the hours it took."""
    return [
        {
            "step": step.step,
            "orders": step.orders,
            "p50_hours": hours(step.p50),
            "p90_hours": hours(step.p90),
        }
        for step in await reports.cycle_times(filters, viewer, STEPS)
    ]


async def fill_rate(
    reports: SalesReports, filters: ReportFilters, viewer: Viewer
) -> dict[str, Any]:
    """Shipped over ordered quantity of the product lines (shipped counted up to what was
    ordered), and the share of lines shipped complete."""
    figures = await reports.fill(filters, viewer)
    ordered, shipped = Decimal(figures["ordered"]), Decimal(figures["shipped"])
    lines, complete = figures["lines"], figures["lines_complete"]
    return {
        "ordered_quantity": ordered,
        "shipped_quantity": shipped,
        "fill_rate": (shipped / ordered).quantize(Decimal("0.0001")) if ordered else None,
        "lines": lines,
        "lines_complete": complete,
        "line_fill_rate": (Decimal(complete) / lines).quantize(Decimal("0.0001"))
        if lines
        else None,
    }


async def backorders(
    reports: SalesReports, filters: ReportFilters, viewer: Viewer, now: datetime
) -> dict[str, Any]:
    """The open backordered orders with their age in days (since their reservation last
    failed), and how many fall in each age bucket."""
    items = []
    for row in await reports.backorders(filters, viewer):
        days = max((now - row.since).days, 0)
        items.append(
            {
                "order_id": row.id,
                "number": row.number,
                "customer_id": row.customer_id,
                "owner": row.owner,
                "currency": row.currency,
                "gross": in_currency(row.gross_total, row.currency),
                "since": row.since,
                "age_days": days,
                "bucket": age_bucket(days),
            }
        )
    buckets = {label: 0 for _, _, label in AGE_BUCKETS}
    for item in items:
        buckets[item["bucket"]] += 1
    return {"items": items, "buckets": buckets}


async def quote_conversion(
    reports: SalesReports, filters: ReportFilters, viewer: Viewer, today: date
) -> dict[str, Any]:
    """Quotes by quote date, and the conversion rate: accepted over sent (a sent quote that
    is still open counts against it until it is decided or expires)."""
    figures = await reports.quotes(filters, viewer, today)
    sent = figures["sent"]
    rate = (Decimal(figures["accepted"]) / sent).quantize(Decimal("0.0001")) if sent else None
    return {**figures, "conversion_rate": rate}


async def receivables(
    reports: SalesReports, filters: ReportFilters, viewer: Viewer
) -> list[dict[str, Any]]:
    """Per owner and currency: invoices issued on their orders, invoiced net and gross, and
    what is still open net of payments and credit notes (the sales read model)."""
    rows = await reports.receivables(filters, viewer)
    for row in rows:
        for figure in ("net", "gross", "open"):
            row[figure] = in_currency(Decimal(row[figure]), row["currency"])
    return rows
