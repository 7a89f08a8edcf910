"""A customer's money with the company: their statement (per currency: opening balance, every
invoice, payment, reversal and refund with the running balance, closing balance, open items),
and their credit, with what accounting does about it: apply it to open invoices, refund it,
reverse a payment that bounced."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain.user import User
from console.entrypoints.billing_views import PAYMENT_METHODS
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


@router.get("/customers/{customer_id}/statement")
async def statement(
    request: Request,
    customer_id: str,
    user: CurrentUser,
    api: Api,
    date_from: str = "",
    date_to: str = "",
) -> Response:
    """The period defaults to this month so far (the billing service's rule)."""
    return await _statement_page(request, customer_id, user, api, date_from, date_to)


async def _statement_page(
    request: Request,
    customer_id: str,
    user: User,
    api: SuiteApi,
    date_from: str,
    date_to: str,
    problem: ServiceError | None = None,
) -> Response:
    params = {"from": date_from, "to": date_to}
    try:
        customer = await api.get_customer(user.token, customer_id)
        try:  # the PDFs printed so far (documents); the page works without them
            printed = await api.read(
                user.token, "documents", "/statements", {"customer_id": customer_id}
            )
        except ServiceError:
            printed = {}
        try:
            found = await api.read(
                user.token, "billing", path("/customers/{}/statement", customer_id), params
            )
        except ServiceError as error:
            if error.status != 422:
                raise
            found, problem = {"accounts": [], "open_items": [], "credit": []}, problem or error
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "customer": customer,
        "statement": found,
        "printed": printed.get("items", []),
        "may_print": user.may("accounting", "sales"),
        "date_from": date_from,
        "date_to": date_to,
        **refusal(problem),
    }
    return render(request, "customers/statement.html", context, status_code=status_of(problem))


async def _credit_page(
    request: Request,
    user: Any,
    api: Api,
    customer_id: str,
    problem: ServiceError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    token = user.token
    by_customer: dict[str, str | int | None] = {"customer_id": customer_id, "limit": 50}
    try:
        customer, credit, payments, refunds = await asyncio.gather(
            api.get_customer(token, customer_id),
            api.read(token, "billing", path("/customers/{}/credit", customer_id)),
            api.list_payments(token, by_customer),
            api.read(token, "billing", "/refunds", by_customer),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "customer": customer,
        "credit": credit.get("credit", []),
        "payments": payments.get("items", []),
        "refunds": refunds.get("items", []),
        "methods": PAYMENT_METHODS,
        "may_act": user.may("accounting"),
        "form": form or {},
        "action_key": (form or {}).get("idempotency_key") or str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "customers/credit.html", context, status_code=status_of(problem))


@router.get("/customers/{customer_id}/credit")
async def credit(request: Request, customer_id: str, user: CurrentUser, api: Api) -> Response:
    return await _credit_page(request, user, api, customer_id)


def _credit_action(
    request: Request, user: Any, api: Api, customer_id: str, form: dict[str, str]
) -> Any:
    async def refused(error: ServiceError) -> Response:
        return await _credit_page(request, user, api, customer_id, error, form)

    return refused


@router.post("/customers/{customer_id}/credit/allocations")
async def apply_credit(
    request: Request,
    customer_id: str,
    user: CurrentUser,
    api: Api,
    currency: Annotated[str, Form(max_length=3)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The credit in a currency to the customer's open invoices, oldest due first."""
    form = {"currency": currency, "idempotency_key": idempotency_key}
    target = path("/customers/{}/credit/allocations", customer_id)
    return await perform(
        request,
        lambda: api.command(
            user.token, "billing", target, {"currency": currency}, idempotency_key=idempotency_key
        ),
        then=f"/customers/{customer_id}/credit",
        flash=N_("Credit applied to the open invoices."),
        refused=_credit_action(request, user, api, customer_id, form),
    )


@router.post("/customers/{customer_id}/refunds")
async def refund(
    request: Request,
    customer_id: str,
    user: CurrentUser,
    api: Api,
    currency: Annotated[str, Form(max_length=3)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    method: Annotated[str, Form(max_length=40)] = "bank_transfer",
    reference: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Pay credit back to the customer (more than their credit: refused, nothing changes)."""
    form = {
        "refund_currency": currency.strip().upper(),
        "amount": amount.strip(),
        "method": method,
        "reference": reference.strip(),
        "reason": reason.strip(),
        "idempotency_key": idempotency_key,
    }
    body: Json = {
        "customer_id": customer_id,
        "currency": form["refund_currency"],
        "amount": form["amount"],
        "method": method,
        "reference": form["reference"] or None,
        "reason": form["reason"] or None,
    }
    return await perform(
        request,
        lambda: api.command(
            user.token, "billing", "/refunds", body, idempotency_key=idempotency_key or None
        ),
        then=f"/customers/{customer_id}/credit",
        flash=N_("Refund recorded."),
        refused=_credit_action(request, user, api, customer_id, form),
    )


@router.post("/customers/{customer_id}/payments/{payment_id}/reversal")
async def reverse_payment(
    request: Request,
    customer_id: str,
    payment_id: str,
    user: CurrentUser,
    api: Api,
    reason: Annotated[str, Form(max_length=4000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A payment that bounced: the invoices it settled owe that part again."""
    form = {"reversal_of": payment_id, "reason": reason.strip(), "idempotency_key": ""}
    target = path("/payments/{}/reversal", payment_id)
    return await perform(
        request,
        lambda: api.command(
            user.token,
            "billing",
            target,
            {"reason": reason.strip()},
            idempotency_key=idempotency_key or None,
        ),
        then=f"/customers/{customer_id}/credit",
        flash=N_("Payment reversed."),
        refused=_credit_action(request, user, api, customer_id, form),
    )


@router.post("/customers/{customer_id}/statement/pdf")
async def print_statement(
    request: Request,
    customer_id: str,
    user: CurrentUser,
    api: Api,
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Billing has the statement printed by documents; the PDF is listed once it is made."""
    body: Json = {"from": date_from or None, "to": date_to or None}
    back = f"/customers/{customer_id}/statement"
    return await perform(
        request,
        lambda: api.command(
            user.token, "billing", path("/customers/{}/statements", customer_id), body
        ),
        then=back,
        flash=N_("The statement is being printed; its PDF appears below in a moment."),
        refused=lambda error: _statement_page(
            request, customer_id, user, api, date_from, date_to, error
        ),
    )


@router.get("/statements/{statement_id}/content")
async def statement_pdf(
    request: Request, statement_id: str, user: CurrentUser, api: Api
) -> Response:
    try:
        found = await api.download(
            user.token, "documents", path("/statements/{}/content", statement_id)
        )
    except ServiceError as error:
        return error_page(request, error)
    return Response(
        found.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": "inline",
            "Content-Security-Policy": "frame-ancestors 'self'",
        },
    )
