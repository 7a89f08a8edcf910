"""Invoices and payments: the invoice list, an invoice's card, recording a payment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    render,
    safe_next,
    see_other,
)
from console.service_layer.ports import Json, ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
INVOICE_STATUSES = ("issued", "partially_paid", "paid")
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "other")
PAYMENT_STATUSES = ("received", "reversed")


@router.get("/invoices")
async def invoices_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    status: str = "",
    cursor: str | None = None,
) -> Response:
    params = {"status": status if status in INVOICE_STATUSES else None, "cursor": cursor}
    try:
        page = await api.list_invoices(user.token, {**params, "limit": PAGE_SIZE})
    except ServiceError as error:
        return error_page(request, error)
    return render(
        request,
        "invoices/list.html",
        {"page": page, "status": status, "statuses": INVOICE_STATUSES},
    )


@router.get("/payments")
async def payments_list(
    request: Request,
    user: CurrentUser,
    api: Api,
    status: str = "",
    currency: str = "",
    cursor: str | None = None,
) -> Response:
    """Payments received, newest first, with what they settled and what is left as credit."""
    params = {
        "status": status if status in PAYMENT_STATUSES else None,
        "currency": currency.upper() or None,
        "cursor": cursor,
        "limit": PAGE_SIZE,
    }
    problem: ServiceError | None = None
    try:
        page = await api.list_payments(user.token, params)
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "next_cursor": None}, error
    return render(
        request,
        "invoices/payments.html",
        {
            "page": page,
            "status": status,
            "currency": currency,
            "statuses": PAYMENT_STATUSES,
            "problem": problem,
        },
    )


@router.get("/receivables")
async def receivables(
    request: Request,
    user: CurrentUser,
    api: Api,
    as_of: str = "",
    currency: str = "",
    cursor: str | None = None,
) -> Response:
    """What customers owe as of a day, in buckets of days past due, with totals per currency."""
    params = {"as_of": as_of, "currency": currency.upper(), "cursor": cursor, "limit": PAGE_SIZE}
    problem: ServiceError | None = None
    try:
        page = await api.list_receivables(user.token, params)
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "totals": [], "next_cursor": None}, error
    return render(
        request,
        "invoices/receivables.html",
        {"page": page, "as_of": as_of, "currency": currency, "problem": problem},
    )


async def invoice_context(api: Api, token: str, invoice_id: str) -> dict[str, object]:
    invoice = await api.get_invoice(token, invoice_id)
    documents = await api.list_documents(
        token, {"order_id": invoice["order_id"], "kind": "invoice", "limit": 50}
    )
    pdfs: list[Json] = [
        d for d in documents.get("items", []) if d.get("reference") == invoice.get("number")
    ] or documents.get("items", [])
    try:
        notes = await api.read(token, "billing", "/credit-notes", {"invoice_id": invoice_id})
    except ServiceError:
        notes = {}  # the card works without them
    return {
        "invoice": invoice,
        "documents": pdfs,
        "methods": PAYMENT_METHODS,
        "payment_key": str(uuid.uuid4()),
        "credit_notes": notes.get("items", []),
        "credit_form": {},
    }


@router.get("/invoices/{invoice_id}")
async def invoice_card(request: Request, invoice_id: str, user: CurrentUser, api: Api) -> Response:
    try:
        context = await invoice_context(api, user.token, invoice_id)
    except ServiceError as error:
        return error_page(request, error)
    return render(request, "invoices/card.html", context)


@router.post("/invoices/{invoice_id}/payments")
async def record_payment(
    request: Request,
    invoice_id: str,
    user: CurrentUser,
    api: Api,
    amount: Annotated[str, Form(max_length=40)] = "",
    method: Annotated[str, Form(max_length=40)] = "bank_transfer",
    reference: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    body: Json = {"amount": amount.strip(), "method": method, "reference": reference or None}
    try:
        await api.record_payment(user.token, invoice_id, body, idempotency_key or str(uuid.uuid4()))
    except ServiceError as error:
        if error.status in (401, 404) or error.status >= 500:
            return error_page(request, error)
        try:
            context = await invoice_context(api, user.token, invoice_id)
        except ServiceError as again:
            return error_page(request, again)
        return render(
            request,
            "invoices/card.html",
            {**context, "problem": error, "field_errors": error.field_errors(), "amount": amount},
            status_code=error.status,
        )
    return see_other(
        request, safe_next(next, f"/invoices/{invoice_id}"), flash=N_("Payment recorded.")
    )
