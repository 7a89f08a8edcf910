"""Quotes: the list by status and text, a quote's card with its PDF, and the steps its status
allows (send, accepted, rejected, convert into an order)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain.steps import QUOTE_STEPS, step_named, steps_for
from console.entrypoints.i18n import N_
from console.entrypoints.orders_views import (
    QUOTE_FORM,
    content_body,
    create_from_form,
    new_form_page,
)
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    perform,
    refusal,
    render,
    see_other,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, path

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
DONE = {
    "send": N_("Quote sent."),
    "accept": N_("Quote accepted."),
    "reject": N_("Quote rejected."),
}


@router.get("/quotes")
async def quotes_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    status: str = "",
    q: str = "",
    cursor: str | None = None,
) -> Response:
    params = {"status": status or None, "q": q, "cursor": cursor, "limit": PAGE_SIZE}
    problem: ServiceError | None = None
    try:
        page = await api.list_quotes(user.token, params)
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "next_cursor": None}, error
    return render(
        request,
        "quotes/list.html",
        {"page": page, "status": status, "q": q, "statuses": QUOTE_STATUSES, "problem": problem},
    )


@router.get("/quotes/new")
async def new_quote(request: Request, user: CurrentUser, api: Api) -> Response:
    """The new-order form's customer search and item look-up, for a draft quote."""
    return await new_form_page(request, user, api, QUOTE_FORM)


@router.post("/quotes/new")
async def create_quote(request: Request, user: CurrentUser, api: Api) -> Response:
    async def create(form: Any) -> Json:
        body = {**content_body(form), "valid_until": form.get("valid_until") or None}
        key = str(form.get("idempotency_key") or "") or None
        quote: Json = await api.command(user.token, "orders", "/quotes", body, idempotency_key=key)
        return quote

    quote = await create_from_form(request, user, api, QUOTE_FORM, create)
    if isinstance(quote, Response):
        return quote
    return see_other(
        request,
        path("/quotes/{}", quote["id"]),
        flash=N_("Quote %(number)s created."),
        number=quote["number"],
    )


async def _quote_card(
    request: Request, user: Any, api: Api, quote_id: str, problem: ServiceError | None = None
) -> Response:
    try:
        quote = await api.read(user.token, "orders", path("/quotes/{}", quote_id))
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "quote": quote,
        "steps": steps_for(QUOTE_STEPS, quote.get("status"), user.roles),
        "step_key": str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "quotes/card.html", context, status_code=status_of(problem))


@router.get("/quotes/{quote_id}")
async def quote_card(request: Request, quote_id: str, user: CurrentUser, api: Api) -> Response:
    return await _quote_card(request, user, api, quote_id)


@router.post("/quotes/{quote_id}/{step}")
async def quote_step(
    request: Request,
    quote_id: str,
    step: str,
    user: CurrentUser,
    api: Api,
    reason: Annotated[str, Form(max_length=4000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send, accepted, rejected (with a reason) or convert into a draft order (then opened)."""
    if step_named(QUOTE_STEPS, step) is None:
        return error_page(request, ServiceError(404, N_("Not found")))
    target = path("/quotes/{}/" + step, quote_id)

    if step == "convert":
        return await perform(
            request,
            lambda: api.command(
                user.token, "orders", target, idempotency_key=idempotency_key or None
            ),
            then=lambda order: f"/orders/{order['id']}",
            flash=N_("A draft order was made from the quote."),
            refused=lambda error: _quote_card(request, user, api, quote_id, error),
        )
    body = {"reason": reason.strip() or None} if step == "reject" else None
    return await perform(
        request,
        lambda: api.command(user.token, "orders", target, body),
        then=f"/quotes/{quote_id}",
        flash=DONE[step],
        refused=lambda error: _quote_card(request, user, api, quote_id, error),
    )
