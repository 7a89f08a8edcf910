"""The sales read model's figures over HTTP (JSON or CSV): revenue net of credit notes and
order intake, with the report filters and the caller's visibility."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from orders.adapters.sales_figures import SqlSalesFigures
from orders.domain.reports import ReportFilters, SalesBy
from orders.entrypoints.common import unit_of_work
from orders.entrypoints.reports_api import ANSWERS, Filters, Format, answer
from orders.service_layer import sales_figures
from orders.service_layer.ownership import current_viewer
from servicekit.http import InvalidInput

router = APIRouter(tags=["reports"])


def _of_orders(by: SalesBy, filters: ReportFilters) -> None:
    """The read model keeps documents and orders, not lines: no figures per product."""
    if by is SalesBy.PRODUCT:
        raise InvalidInput.field("query.by", "period, owner or customer (not per product)")
    if filters.sku is not None:
        raise InvalidInput.field("query.sku", "not a filter of this report")


@router.get("/reports/revenue", responses=ANSWERS)
async def revenue_report(
    request: Request, filters: Filters, by: SalesBy = SalesBy.PERIOD, format: Format = "json"
) -> Any:
    """Revenue net of credit notes per month of issue, owner or customer and currency: invoices,
    credit notes, invoiced net, credited net, net and gross (the sales read model)."""
    _of_orders(by, filters)
    async with unit_of_work(request) as uow:
        rows = await sales_figures.revenue(
            SqlSalesFigures(uow.session), by, filters, current_viewer()
        )
    return answer(f"revenue-by-{by.value}", rows, format)


@router.get("/reports/intake", responses=ANSWERS)
async def intake_report(
    request: Request, filters: Filters, by: SalesBy = SalesBy.PERIOD, format: Format = "json"
) -> Any:
    """Order intake per month of order date, owner or customer and currency: confirmed orders
    not cancelled, their net and gross as last revised (the sales read model)."""
    _of_orders(by, filters)
    async with unit_of_work(request) as uow:
        rows = await sales_figures.intake(
            SqlSalesFigures(uow.session), by, filters, current_viewer()
        )
    return answer(f"intake-by-{by.value}", rows, format)
