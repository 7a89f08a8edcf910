"""Sales reports: order intake per month, owner, customer or product, as a table and a chart."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.domain.charts import bar_widths
from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render
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
