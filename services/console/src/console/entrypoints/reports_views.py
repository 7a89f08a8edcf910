"""Sales reports: order intake per month, owner, customer or product, as a table and a chart;
cycle times, fill rate and backorders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.domain.charts import bar_widths
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import Json, ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])

GROUPINGS = ("period", "customer", "product", "owner")


@router.get("/reports/sales")
async def sales_report(
    request: Request,
    user: CurrentUser,
    api: Api,
    by: str = "period",
    date_from: str = "",
    date_to: str = "",
    currency: str = "",
) -> Response:
    grouping = by if by in GROUPINGS else "period"
    params = {
        "by": grouping,
        "date_from": date_from,
        "date_to": date_to,
        "currency": currency.upper(),
    }
    problem: ServiceError | None = None
    rows: list[Json] = []
    try:
        rows = (await api.sales_report(user.token, params)).get("items", [])
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        problem = error
    return render(
        request,
        "reports/sales.html",
        {
            "rows": list(zip(rows, bar_widths(rows), strict=True)),
            "by": grouping,
            "groupings": GROUPINGS,
            "date_from": date_from,
            "date_to": date_to,
            "currency": currency,
            "problem": problem,
        },
    )


# The orders service's other reports: its path under /reports/ → this console's template
REPORTS = {
    "cycle-time": "reports/cycle_time.html",  # hours per step: p50 and p90
    "fill-rate": "reports/fill_rate.html",  # shipped over ordered quantity, lines complete
    "backorders": "reports/backorders.html",  # open backordered orders by age
}


@router.get("/reports/{report}")
async def other_report(
    request: Request,
    report: str,
    user: CurrentUser,
    api: Api,
    date_from: str = "",
    date_to: str = "",
    currency: str = "",
) -> Response:
    """One of the other reports, over the same filters as the sales report."""
    if report not in REPORTS:
        return error_page(request, ServiceError(404, N_("Not found")))
    params = {"date_from": date_from, "date_to": date_to, "currency": currency.upper()}
    problem: ServiceError | None = None
    found: Any = {"items": []}
    try:
        found = await api.read(user.token, "orders", f"/reports/{report}", params)
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        problem = error
    return render(
        request,
        REPORTS[report],
        {"report": found, **params, **refusal(problem)},
        status_code=status_of(problem),
    )
