"""Price lists (orders): by currency and customer group, a list's price breaks, a new list
(sales), removing one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain.user import User
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    perform,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
ENTRY_FIELDS = ("sku", "min_quantity", "unit_price", "discount_percent")


def entries_from(text: str) -> list[Json]:
    """One price break a line: `SKU; minimum quantity; unit price; discount %` (either of the
    last two may be empty)."""
    entries: list[Json] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(";")] + [""] * len(ENTRY_FIELDS)
        entry = dict(zip(ENTRY_FIELDS, cells, strict=False))
        entries.append({name: value or None for name, value in entry.items()})
    return entries


async def _list_page(
    request: Request,
    user: User,
    api: SuiteApi,
    params: dict[str, Any],
    problem: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        page = await api.read(user.token, "orders", "/price-lists", {**params, "limit": PAGE_SIZE})
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "next_cursor": None}, problem or error
    context = {
        "page": page,
        "currency": params.get("currency") or "",
        "customer_group": params.get("customer_group") or "",
        "form": form or {},
        "idempotency_key": (form or {}).get("idempotency_key") or str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "price_lists/list.html", context, status_code=status_of(problem))


@router.get("/price-lists")
async def price_lists(
    request: Request,
    user: CurrentUser,
    api: Api,
    currency: str = "",
    customer_group: str = "",
    cursor: str | None = None,
) -> Response:
    params = {"currency": currency.upper(), "customer_group": customer_group, "cursor": cursor}
    return await _list_page(request, user, api, params)


@router.post("/price-lists")
async def create_price_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    name: Annotated[str, Form(max_length=200)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    customer_id: Annotated[str, Form(max_length=36)] = "",
    customer_group: Annotated[str, Form(max_length=50)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    valid_to: Annotated[str, Form(max_length=10)] = "",
    entries: Annotated[str, Form(max_length=100_000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {
        "name": name.strip(),
        "currency": currency.strip().upper(),
        "customer_id": customer_id.strip(),
        "customer_group": customer_group.strip(),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "entries": entries,
        "idempotency_key": idempotency_key,
    }
    body: Json = {
        **{k: (form[k] or None) for k in ("customer_id", "customer_group", "valid_from")},
        "valid_to": valid_to or None,
        "name": form["name"],
        "currency": form["currency"],
        "entries": entries_from(entries),
    }

    return await perform(
        request,
        lambda: api.command(
            user.token, "orders", "/price-lists", body, idempotency_key=idempotency_key or None
        ),
        then=lambda created: f"/price-lists/{created['id']}",
        flash=N_("Price list created."),
        refused=lambda error: _list_page(request, user, api, {}, error, form),
    )


async def _card(
    request: Request, user: User, api: SuiteApi, list_id: str, problem: ServiceError | None = None
) -> Response:
    try:
        found = await api.read(user.token, "orders", path("/price-lists/{}", list_id))
    except ServiceError as error:
        return error_page(request, error)
    context = {"price_list": found, **refusal(problem)}
    return render(request, "price_lists/card.html", context, status_code=status_of(problem))


@router.get("/price-lists/{list_id}")
async def price_list(request: Request, list_id: str, user: CurrentUser, api: Api) -> Response:
    return await _card(request, user, api, list_id)


@router.post("/price-lists/{list_id}/delete")
async def delete_price_list(
    request: Request, list_id: str, user: CurrentUser, api: Api
) -> Response:

    return await perform(
        request,
        lambda: api.command(
            user.token, "orders", path("/price-lists/{}", list_id), method="DELETE"
        ),
        then="/price-lists",
        flash=N_("Price list removed."),
        refused=lambda error: _card(request, user, api, list_id, error),
    )
