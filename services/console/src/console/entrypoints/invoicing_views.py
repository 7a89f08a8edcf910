"""An order's invoicing (billing): its policy, what is invoiced and what is not per line, and a
manual invoice of chosen quantities (accounting): made as a draft, then issued (numbered) or
discarded."""

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
    name_lines,
    perform,
    refusal,
    render,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

POLICIES = ("on_completion", "on_delivery", "manual")


async def _invoicing_page(
    request: Request,
    user: User,
    api: SuiteApi,
    order_id: str,
    problem: ServiceError | None = None,
    wanted: dict[str, str] | None = None,
) -> Response:
    try:
        order, invoicing, drafts = await asyncio.gather(
            api.get_order(user.token, order_id),
            api.read(user.token, "billing", path("/orders/{}/invoicing", order_id)),
            api.read(user.token, "billing", "/invoice-drafts", {"order_id": order_id}),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "order": order,
        "invoicing": invoicing,
        "drafts": [d for d in drafts.get("items", []) if d.get("status") == "draft"],
        "policies": POLICIES,
        "may_invoice": user.may("accounting"),
        "wanted": wanted or {},
        "invoice_key": str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "invoices/invoicing.html", context, status_code=status_of(problem))


@router.get("/orders/{order_id}/invoicing")
async def invoicing(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    return await _invoicing_page(request, user, api, order_id)


@router.post("/orders/{order_id}/invoicing/policy")
async def change_policy(
    request: Request,
    order_id: str,
    user: CurrentUser,
    api: Api,
    policy: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    target = path("/orders/{}/invoicing-policy", order_id)

    return await perform(
        request,
        lambda: api.command(user.token, "billing", target, {"policy": policy}, method="PUT"),
        then=f"/orders/{order_id}/invoicing",
        flash=N_("Invoicing policy changed."),
        refused=lambda error: _invoicing_page(request, user, api, order_id, error),
    )


@router.post("/orders/{order_id}/invoicing/invoices")
async def invoice_now(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    """A manual invoice of the quantities given per line (empty lines are left out): drafted,
    then issued at once."""
    form = await request.form()
    wanted = {
        key.removeprefix("invoice-"): str(value).strip()
        for key, value in form.items()
        if key.startswith("invoice-") and str(value).strip()
    }
    lines: list[Json] = [
        {"line_no": line_no, "quantity": quantity} for line_no, quantity in wanted.items()
    ]
    key = str(form.get("idempotency_key") or uuid.uuid4())
    target = path("/orders/{}/invoices", order_id)

    async def refused(error: ServiceError) -> Response:
        named = name_lines(error, list(wanted), "invoice")
        return await _invoicing_page(request, user, api, order_id, named, wanted)

    def opened(invoice: Any) -> str:
        return f"/invoices/{invoice['id']}"

    async def draft_and_issue() -> Any:
        # billing makes a manual invoice a draft first; issuing it numbers it (the same id)
        draft = await api.command(
            user.token, "billing", target, {"lines": lines}, idempotency_key=key
        )
        issue = path("/invoice-drafts/{}/issue", draft["id"])
        return await api.command(user.token, "billing", issue, None, idempotency_key=f"{key}-issue")

    return await perform(
        request,
        draft_and_issue,
        then=opened,
        flash=N_("Invoice issued."),
        refused=refused,
    )


@router.post("/orders/{order_id}/invoicing/drafts/{draft_id}/{step}")
async def draft_step(
    request: Request,
    order_id: str,
    draft_id: str,
    step: str,
    user: CurrentUser,
    api: Api,
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Issue a draft (it becomes the invoice of the same id, numbered now) or discard it."""
    if step not in ("issue", "discard"):
        return error_page(request, ServiceError(404, N_("Not found")))
    target = path("/invoice-drafts/{}/" + step, draft_id)
    issuing = step == "issue"
    return await perform(
        request,
        lambda: api.command(user.token, "billing", target, idempotency_key=idempotency_key or None),
        then=(lambda invoice: f"/invoices/{invoice['id']}")
        if issuing
        else f"/orders/{order_id}/invoicing",
        flash=N_("Invoice issued.") if issuing else N_("Draft discarded."),
        refused=lambda error: _invoicing_page(request, user, api, order_id, error),
    )
