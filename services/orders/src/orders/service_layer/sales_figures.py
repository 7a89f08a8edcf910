"""Use cases: the figures of the sales read model — revenue net of credit notes and order
intake — as the viewer may see the orders (see adapters/sales_model.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from orders.domain.ownership import Viewer
from orders.domain.reports import ReportFilters, SalesBy
from pricing.amounts import in_currency

MONEY_FIELDS = ("invoiced_net", "credited_net", "net", "gross")


class SalesFigures(Protocol):
    async def revenue(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]: ...

    async def intake(
        self, by: SalesBy, filters: ReportFilters, viewer: Viewer
    ) -> list[dict[str, Any]]: ...


def _in_currency(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for name in MONEY_FIELDS:
            if name in row:
                row[name] = in_currency(Decimal(row[name]), row["currency"])
    return rows


async def revenue(
    figures: SalesFigures, by: SalesBy, filters: ReportFilters, viewer: Viewer
) -> list[dict[str, Any]]:
    """`{key, label, currency, invoices, credit_notes, invoiced_net, credited_net, net, gross}`
    per month of issue, owner or customer: revenue is `net`, invoiced minus credited."""
    return _in_currency(await figures.revenue(by, filters, viewer))


async def intake(
    figures: SalesFigures, by: SalesBy, filters: ReportFilters, viewer: Viewer
) -> list[dict[str, Any]]:
    """`{key, label, currency, orders, net, gross}` per month of order date, owner or customer:
    the confirmed orders not cancelled, as last revised."""
    return _in_currency(await figures.intake(by, filters, viewer))
