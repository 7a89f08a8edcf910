"""Webhooks to other systems (orders; administrators and integrations): the subscriptions, a new
one (its signing secret shown once), a subscription's deliveries with redelivery, pausing or
resuming it, a new secret, removing it."""

from __future__ import annotations

import asyncio
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
from console.service_layer.ports import ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

MANAGERS = ("integration",)  # and admin


async def _list_page(
    request: Request,
    user: User,
    api: SuiteApi,
    cursor: str | None = None,
    problem: ServiceError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    try:
        page, types = await asyncio.gather(
            api.read(user.token, "orders", "/webhooks", {"cursor": cursor, "limit": 50}),
            api.read(user.token, "orders", "/webhooks/event-types"),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "page": page,
        "event_types": types.get("event_types", []),
        "may_manage": user.may(*MANAGERS),
        "form": form or {"event_types": []},
        **refusal(problem),
    }
    return render(request, "admin/webhooks.html", context, status_code=status_of(problem))


@router.get("/webhooks")
async def webhooks(
    request: Request, user: CurrentUser, api: Api, cursor: str | None = None
) -> Response:
    return await _list_page(request, user, api, cursor)


async def _card(
    request: Request,
    user: User,
    api: SuiteApi,
    webhook_id: str,
    problem: ServiceError | None = None,
    secret: str | None = None,
    status_code: int | None = None,
) -> Response:
    base = path("/webhooks/{}", webhook_id)
    try:
        webhook, deliveries = await asyncio.gather(
            api.read(user.token, "orders", base),
            api.read(user.token, "orders", base + "/deliveries", {"limit": 50}),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "webhook": webhook,
        "deliveries": deliveries.get("items", []),
        "may_manage": user.may(*MANAGERS),
        "secret": secret,
        **refusal(problem),
    }
    return render(
        request, "admin/webhook.html", context, status_code=status_code or status_of(problem)
    )


@router.post("/webhooks")
async def create_webhook(request: Request, user: CurrentUser, api: Api) -> Response:
    """The new subscription's card, with its secret: shown this once, never kept in a cookie."""
    form = await request.form()
    body = {
        "url": str(form.get("url", "")).strip(),
        "event_types": [str(t) for t in form.getlist("event_types")],
        "description": str(form.get("description", "")).strip() or None,
    }
    try:
        created = await api.command(
            user.token,
            "orders",
            "/webhooks",
            body,
            idempotency_key=str(form.get("idempotency_key") or "") or None,
        )
    except ServiceError as error:
        if error.status == 401 or error.status >= 500:
            return error_page(request, error)
        return await _list_page(request, user, api, None, error, body)
    return await _card(
        request, user, api, created["id"], secret=created.get("secret"), status_code=201
    )


@router.get("/webhooks/{webhook_id}")
async def webhook(request: Request, webhook_id: str, user: CurrentUser, api: Api) -> Response:
    return await _card(request, user, api, webhook_id)


@router.post("/webhooks/{webhook_id}/secret")
async def new_secret(request: Request, webhook_id: str, user: CurrentUser, api: Api) -> Response:
    try:
        rotated = await api.command(user.token, "orders", path("/webhooks/{}/secret", webhook_id))
    except ServiceError as error:
        if error.status == 401 or error.status >= 500:
            return error_page(request, error)
        return await _card(request, user, api, webhook_id, error)
    return await _card(request, user, api, webhook_id, secret=rotated.get("secret"))


@router.post("/webhooks/{webhook_id}/active")
async def pause_or_resume(
    request: Request,
    webhook_id: str,
    user: CurrentUser,
    api: Api,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    resume = active == "true"

    return await perform(
        request,
        lambda: api.command(
            user.token,
            "orders",
            path("/webhooks/{}", webhook_id),
            {"active": resume},
            method="PATCH",
        ),
        then=f"/webhooks/{webhook_id}",
        flash=N_("Deliveries resumed.") if resume else N_("Deliveries paused."),
        refused=lambda error: _card(request, user, api, webhook_id, error),
    )


@router.post("/webhooks/{webhook_id}/delete")
async def remove(request: Request, webhook_id: str, user: CurrentUser, api: Api) -> Response:

    return await perform(
        request,
        lambda: api.command(
            user.token, "orders", path("/webhooks/{}", webhook_id), method="DELETE"
        ),
        then="/webhooks",
        flash=N_("Webhook removed."),
        refused=lambda error: _card(request, user, api, webhook_id, error),
    )


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request, webhook_id: str, delivery_id: str, user: CurrentUser, api: Api
) -> Response:

    target = path("/webhooks/{}/deliveries/{}/redeliver", webhook_id, delivery_id)
    return await perform(
        request,
        lambda: api.command(user.token, "orders", target),
        then=f"/webhooks/{webhook_id}",
        flash=N_("Delivery queued again."),
        refused=lambda error: _card(request, user, api, webhook_id, error),
    )
