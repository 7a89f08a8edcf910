"""Customers: search and paging, a customer's card with their contacts and orders, a new
customer, a new contact."""

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
    see_other,
    status_of,
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25


@router.get("/customers")
async def customers_list(
    request: Request, user: CurrentUser, api: Api, q: str = "", cursor: str | None = None
) -> Response:
    try:
        page = await api.list_customers(user.token, {"q": q, "cursor": cursor, "limit": PAGE_SIZE})
    except ServiceError as error:
        return error_page(request, error)
    return render(
        request,
        "customers/list.html",
        {"page": page, "q": q, "idempotency_key": str(uuid.uuid4()), "form": {}},
    )


@router.post("/customers")
async def create_customer(
    request: Request,
    user: CurrentUser,
    api: Api,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    body = {"name": name.strip(), "email": email.strip()}
    try:
        customer = await api.create_customer(user.token, body, idempotency_key or str(uuid.uuid4()))
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page = await api.list_customers(user.token, {"limit": PAGE_SIZE})
        return render(
            request,
            "customers/list.html",
            {
                "page": page,
                "q": "",
                "idempotency_key": idempotency_key,
                "form": body,
                "problem": error,
                "field_errors": error.field_errors(),
            },
            status_code=422,
        )
    return see_other(request, f"/customers/{customer['id']}", flash=N_("Customer created."))


async def _card(
    request: Request,
    user: User,
    api: SuiteApi,
    customer_id: str,
    cursor: str | None = None,
    problem: ServiceError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    try:
        customer, orders, contacts = await asyncio.gather(
            api.get_customer(user.token, customer_id),
            api.customer_orders(
                user.token,
                customer_id,
                {"cursor": cursor, "limit": PAGE_SIZE, "view": "summary"},  # headers suffice
            ),
            api.read(user.token, "orders", path("/customers/{}/contacts", customer_id)),
        )
    except ServiceError as error:
        return error_page(request, error)
    context = {
        "customer": customer,
        "orders": orders,
        "contacts": contacts.get("items", []),
        "may_add_contact": user.may("sales"),
        "form": form or {},
        "contact_key": (form or {}).get("idempotency_key") or str(uuid.uuid4()),
        **refusal(problem),
    }
    return render(request, "customers/card.html", context, status_code=status_of(problem))


@router.get("/customers/{customer_id}")
async def customer_card(
    request: Request, customer_id: str, user: CurrentUser, api: Api, cursor: str | None = None
) -> Response:
    return await _card(request, user, api, customer_id, cursor)


@router.post("/customers/{customer_id}/contacts")
async def add_contact(
    request: Request,
    customer_id: str,
    user: CurrentUser,
    api: Api,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=50)] = "",
    position: Annotated[str, Form(max_length=200)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A contact person of the customer (sales); a refusal is shown next to its field."""
    typed = {"name": name, "email": email, "phone": phone, "position": position}
    body: Json = {k: v.strip() or None for k, v in typed.items()}
    body["name"] = name.strip()
    return await perform(
        request,
        lambda: api.command(
            user.token,
            "orders",
            path("/customers/{}/contacts", customer_id),
            body,
            idempotency_key=idempotency_key or None,
        ),
        then=path("/customers/{}", customer_id),
        flash=N_("Contact %(name)s added."),
        refused=lambda error: _card(
            request,
            user,
            api,
            customer_id,
            problem=error,
            form={**typed, "idempotency_key": idempotency_key},
        ),
        name=body["name"],
    )
