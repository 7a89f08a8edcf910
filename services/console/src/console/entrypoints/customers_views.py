"""Customers: search and paging, a customer's card with their orders, a new customer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.entrypoints.i18n import N_
from console.entrypoints.web import Api, CurrentUser, check_csrf, error_page, render, see_other
from console.service_layer.ports import ServiceError

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


@router.get("/customers/{customer_id}")
async def customer_card(
    request: Request, customer_id: str, user: CurrentUser, api: Api, cursor: str | None = None
) -> Response:
    try:
        customer = await api.get_customer(user.token, customer_id)
        orders = await api.customer_orders(
            user.token, customer_id, {"cursor": cursor, "limit": PAGE_SIZE}
        )
    except ServiceError as error:
        return error_page(request, error)
    return render(request, "customers/card.html", {"customer": customer, "orders": orders})
