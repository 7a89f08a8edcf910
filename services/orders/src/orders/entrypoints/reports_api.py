"""Sales reports over HTTP, as JSON or as CSV (`format=csv`), with the caller's visibility."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from orders.adapters.reports import SqlSalesReports
from orders.domain.reports import ReportFilters, SalesBy
from orders.entrypoints.common import PROBLEMS, unit_of_work
from orders.entrypoints.ownership_schemas import OwnerParam, TeamParam
from orders.service_layer import quotes, reports
from orders.service_layer.ownership import current_viewer
from servicekit.api import Storable

router = APIRouter(tags=["reports"])

Format = Literal["json", "csv"]
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON or CSV"},
    **PROBLEMS,
}


async def report_filters(
    date_from: Annotated[date | None, Query(description="Order date on or after")] = None,
    date_to: Annotated[date | None, Query(description="Order date on or before")] = None,
    owner: OwnerParam = None,
    team: TeamParam = None,
    customer_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(max_length=64), Storable] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> ReportFilters:
    return ReportFilters(
        date_from=date_from,
        date_to=date_to,
        owner=current_viewer().resolve_owner(owner),
        team=team,
        customer_id=str(customer_id) if customer_id else None,
        sku=sku,
        currency=currency,
    )


Filters = Annotated[ReportFilters, Depends(report_filters)]


def _encoded(value: Any) -> Any:
    """JSON values, with decimals as strings (money and quantities are never floats)."""
    return jsonable_encoder(value, custom_encoder={Decimal: str})


def answer(name: str, rows: Sequence[dict[str, Any]], format: Format, extra: Any = None) -> Any:
    if format == "json":
        body = {"items": rows} if extra is None else {**extra, "items": rows}
        return JSONResponse(_encoded(body))
    out = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        encoded = _encoded(row)
        writer.writerow(["" if encoded[c] is None else encoded[c] for c in columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _answer_one(name: str, row: dict[str, Any], format: Format) -> Any:
    """A report of one row: the row as JSON, or a CSV of one line."""
    return JSONResponse(_encoded(row)) if format == "json" else answer(name, [row], format)


@router.get("/reports/sales", responses=ANSWERS)
async def sales_report(
    request: Request,
    filters: Filters,
    by: SalesBy = SalesBy.PERIOD,
    top: Annotated[
        int | None, Query(ge=1, le=1000, description="Only the largest by net per currency")
    ] = None,
    format: Format = "json",
) -> Any:
    """Order intake (confirmed orders, by order date) per month, owner, customer or product, per
    currency: orders, net, gross and the average order value; `top=10&by=customer`: the top
    customers."""
    async with unit_of_work(request) as uow:
        rows = await reports.sales(
            SqlSalesReports(uow.session), by, filters, current_viewer(), top=top
        )
    return answer(f"sales-by-{by.value}", rows, format)


@router.get("/reports/cycle-time", responses=ANSWERS)
async def cycle_time_report(request: Request, filters: Filters, format: Format = "json") -> Any:
    """Hours from confirmed to shipped, shipped to invoiced, invoiced to paid and confirmed to
    paid: p50 and p90 over the orders that made each step."""
    async with unit_of_work(request) as uow:
        rows = await reports.cycle_time(SqlSalesReports(uow.session), filters, current_viewer())
    return answer("cycle-time", rows, format)


@router.get("/reports/fill-rate", responses=ANSWERS)
async def fill_rate_report(request: Request, filters: Filters, format: Format = "json") -> Any:
    """Shipped over ordered quantity of the product lines, and the share of lines shipped
    complete."""
    async with unit_of_work(request) as uow:
        row = await reports.fill_rate(SqlSalesReports(uow.session), filters, current_viewer())
    return _answer_one("fill-rate", row, format)


@router.get("/reports/backorders", responses=ANSWERS)
async def backorders_report(request: Request, filters: Filters, format: Format = "json") -> Any:
    """Open backordered orders with their age in days and the count per age bucket."""
    async with unit_of_work(request) as uow:
        found = await reports.backorders(
            SqlSalesReports(uow.session), filters, current_viewer(), datetime.now(UTC)
        )
    return answer("backorders", found["items"], format, {"buckets": found["buckets"]})


@router.get("/reports/quote-conversion", responses=ANSWERS)
async def quote_conversion_report(
    request: Request, filters: Filters, format: Format = "json"
) -> Any:
    """Quotes by quote date: made, sent, accepted, rejected, expired, converted, and the
    conversion rate (accepted over sent)."""
    async with unit_of_work(request) as uow:
        row = await reports.quote_conversion(
            SqlSalesReports(uow.session), filters, current_viewer(), quotes.today()
        )
    return _answer_one("quote-conversion", row, format)


@router.get("/reports/receivables", responses=ANSWERS)
async def receivables_report(request: Request, filters: Filters, format: Format = "json") -> Any:
    """Per owner and currency: invoices issued on their orders, invoiced net and gross, and
    what is still open net of payments and credit notes (the sales read model)."""
    async with unit_of_work(request) as uow:
        rows = await reports.receivables(SqlSalesReports(uow.session), filters, current_viewer())
    return answer("receivables", rows, format)
