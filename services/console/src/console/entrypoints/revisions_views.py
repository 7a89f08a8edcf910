"""An order's revisions (orders): what changed in each and who changed it, and revising an open
order (sales): its lines' quantities, prices and promised delivery dates, lines removed, its
date and its promised delivery date. Mounted before the
order actions, whose `/orders/{id}/{action}` would otherwise take the post."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.domain.user import User
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    name_lines,
    perform,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])


async def _page(
    request: Request,
    user: User,
    api: SuiteApi,
    order_id: str,
    problem: ServiceError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    try:
        order, revisions = await asyncio.gather(
            api.get_order(user.token, order_id),
            api.read(user.token, "orders", path("/orders/{}/revisions", order_id)),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "order": order,
        "revisions": revisions.get("items", []),
        "may_revise": order.get("status") == "open" and user.may("sales"),
        "form": form or {},
        **refusal(problem),
    }
    return render(request, "orders/revisions.html", context, status_code=status_of(problem))


def _given(**fields: Any) -> Json:
    """The fields given (an empty one is left out: the order keeps what it has)."""
    return {name: value for name, value in fields.items() if value}


@router.get("/orders/{order_id}/revisions")
async def revisions(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    return await _page(request, user, api, order_id)


@router.post("/orders/{order_id}/revisions")
async def revise(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    """Every kept line with its quantity and unit price as typed; a line not kept is removed."""
    form = await request.form()
    typed = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    kept = [key.removeprefix("keep-") for key in typed if key.startswith("keep-")]
    lines: list[Json] = [
        {
            "line_no": int(n),
            "quantity": typed.get(f"quantity-{n}") or None,
            "unit_price": typed.get(f"unit_price-{n}") or None,
            **_given(promised_delivery_date=typed.get(f"promised-{n}")),
        }
        for n in kept
        if n.isdigit()
    ]
    body: Json = _given(
        lines=lines,
        order_date=typed.get("order_date"),
        promised_delivery_date=typed.get("promised_delivery_date"),
    )
    return await perform(
        request,
        lambda: api.command(user.token, "orders", path("/orders/{}/revisions", order_id), body),
        then=f"/orders/{order_id}/revisions",
        flash=N_("Order revised."),
        refused=lambda error: _page(
            request, user, api, order_id, name_lines(error, kept, "line"), typed
        ),
    )
