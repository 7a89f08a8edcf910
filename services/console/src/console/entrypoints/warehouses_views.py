"""Warehouses and transfers (inventory): the warehouses in the order reservations try them, a
new one and deactivating one (warehouse role); transfers in transit or received, a new
transfer (typed one SKU and quantity a line) and receiving it."""

from __future__ import annotations

import asyncio
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


def transfer_lines(text: str) -> list[Json]:
    """One line each: `SKU quantity` (or `SKU; quantity`)."""
    lines: list[Json] = []
    for row in text.splitlines():
        cells = row.replace(";", " ").split()
        if cells:
            lines.append({"sku": cells[0], "quantity": cells[1] if len(cells) > 1 else ""})
    return lines


async def _page(
    request: Request,
    user: User,
    api: SuiteApi,
    problem: ServiceError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    try:
        warehouses, transfers = await asyncio.gather(
            api.read(user.token, "inventory", "/warehouses"),
            api.read(user.token, "inventory", "/transfers", {"status": "in_transit"}),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "warehouses": warehouses.get("items", []),
        "transfers": transfers.get("items", []),
        "may_act": user.may("warehouse"),
        "form": form or {},
        "key": (form or {}).get("idempotency_key") or str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "products/warehouses.html", context, status_code=status_of(problem))


@router.get("/warehouses")
async def warehouses(request: Request, user: CurrentUser, api: Api) -> Response:
    return await _page(request, user, api)


@router.post("/warehouses")
async def create_warehouse(
    request: Request,
    user: CurrentUser,
    api: Api,
    code: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    priority: Annotated[str, Form(max_length=6)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {"code": code.strip(), "name": name.strip(), "priority": priority.strip()}
    body: Json = {**form, "priority": form["priority"] or "100"}
    return await perform(
        request,
        lambda: api.command(
            user.token, "inventory", "/warehouses", body, idempotency_key=idempotency_key or None
        ),
        then="/warehouses",
        flash=N_("Warehouse created."),
        refused=lambda error: _page(request, user, api, error, form),
    )


@router.post("/warehouses/{code}/deactivate")
async def deactivate(request: Request, code: str, user: CurrentUser, api: Api) -> Response:
    return await perform(
        request,
        lambda: api.command(user.token, "inventory", path("/warehouses/{}/deactivate", code)),
        then="/warehouses",
        flash=N_("Warehouse deactivated."),
        refused=lambda error: _page(request, user, api, error),
    )


@router.post("/transfers")
async def create_transfer(
    request: Request,
    user: CurrentUser,
    api: Api,
    from_warehouse: Annotated[str, Form(max_length=20)] = "",
    to_warehouse: Annotated[str, Form(max_length=20)] = "",
    lines: Annotated[str, Form(max_length=50_000)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {
        "from_warehouse": from_warehouse,
        "to_warehouse": to_warehouse,
        "lines": lines,
        "note": note,
        "idempotency_key": idempotency_key,
    }
    body: Json = {
        "from_warehouse": from_warehouse,
        "to_warehouse": to_warehouse,
        "lines": transfer_lines(lines),
        "note": note.strip() or None,
    }
    return await perform(
        request,
        lambda: api.command(
            user.token, "inventory", "/transfers", body, idempotency_key=idempotency_key or None
        ),
        then="/warehouses",
        flash=N_("Transfer under way."),
        refused=lambda error: _page(request, user, api, error, form),
    )


@router.post("/transfers/{transfer_id}/receive")
async def receive(request: Request, transfer_id: str, user: CurrentUser, api: Api) -> Response:
    return await perform(
        request,
        lambda: api.command(user.token, "inventory", path("/transfers/{}/receive", transfer_id)),
        then="/warehouses",
        flash=N_("Transfer received."),
        refused=lambda error: _page(request, user, api, error),
    )
