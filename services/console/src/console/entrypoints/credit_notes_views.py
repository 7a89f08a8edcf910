"""Credit notes (billing): the list by customer, a note's card with its PDF, and crediting an
invoice (accounting) — chosen quantities of its lines, or an amount, with a reason."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.domain.user import User
from console.entrypoints.billing_views import invoice_context
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
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25


@router.get("/credit-notes")
async def credit_notes(
    request: Request,
    user: CurrentUser,
    api: Api,
    customer_id: str = "",
    cursor: str | None = None,
) -> Response:
    params = {"customer_id": customer_id, "cursor": cursor, "limit": PAGE_SIZE}
    try:
        page = await api.read(user.token, "billing", "/credit-notes", params)
    except ServiceError as error:
        return error_page(request, error)
    return render(request, "invoices/credit_notes.html", {"page": page, "customer_id": customer_id})


@router.get("/credit-notes/{note_id}")
async def credit_note(request: Request, note_id: str, user: CurrentUser, api: Api) -> Response:
    try:
        note = await api.read(user.token, "billing", path("/credit-notes/{}", note_id))
        documents = await api.list_documents(
            user.token, {"order_id": note["order_id"], "kind": "credit_note", "limit": 50}
        )
    except ServiceError as error:
        return error_page(request, error)
    pdfs = [d for d in documents.get("items", []) if d.get("reference") == note.get("number")]
    return render(request, "invoices/credit_note.html", {"note": note, "documents": pdfs})


async def _invoice_again(
    request: Request, user: User, api: SuiteApi, invoice_id: str, error: ServiceError, form: Json
) -> Response:
    try:
        context = await invoice_context(api, user.token, invoice_id)
    except ServiceError as again:
        return error_page(request, again)
    return render(
        request,
        "invoices/card.html",
        {**context, **refusal(error), "credit_form": form},
        status_code=error.status,
    )


@router.post("/invoices/{invoice_id}/credit-notes")
async def credit_invoice(
    request: Request, invoice_id: str, user: CurrentUser, api: Api
) -> Response:
    """Quantities typed per line credit those lines; else the amount (tax included) is credited."""
    form = await request.form()
    typed = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    quantities = {
        key.removeprefix("credit-"): value
        for key, value in typed.items()
        if key.startswith("credit-") and value
    }
    body: Json = {"reason": typed.get("reason", "")}
    if quantities:
        body["lines"] = [{"line_no": n, "quantity": q} for n, q in quantities.items()]
    else:
        body["amount"] = typed.get("amount", "")
        body["tax_rate"] = typed.get("tax_rate") or None
    key = typed.get("idempotency_key") or str(uuid.uuid4())
    target = path("/invoices/{}/credit-notes", invoice_id)
    return await perform(
        request,
        lambda: api.command(user.token, "billing", target, body, idempotency_key=key),
        then=lambda note: f"/credit-notes/{note['id']}",
        flash=N_("Credit note issued."),
        refused=lambda error: _invoice_again(
            request, user, api, invoice_id, name_lines(error, list(quantities), "credit"), typed
        ),
    )
