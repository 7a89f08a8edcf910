"""Orders: the list with the API's filters and paging, the card with its live timeline and
actions, and the new-order form with customer search and item look-up."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.domain import orders as rules
from console.domain.user import User
from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    refusal,
    render,
    see_other,
)
from console.service_layer.ports import Json, ServiceError, SuiteApi, path

router = APIRouter(dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
FILTERS = (
    "status",
    "fulfilment",
    "billing",
    "q",
    "customer_id",
    "date_from",
    "date_to",
    "sort",
    "direction",
    "owner",
    "team",
)
NEW_ORDER_LINES = 3
MAX_LINES = 50
LINE_FIELDS = (
    "sku",
    "kind",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_rate",
)


@router.get("/")
async def home(user: CurrentUser, request: Request) -> Response:
    return see_other(request, "/orders")


@router.get("/orders")
async def orders_list(request: Request, user: CurrentUser, api: Api) -> Response:
    query = request.query_params
    filters = {name: query.get(name, "") for name in FILTERS}
    saved_id = query.get("saved", "")
    # The list shows each order's header alone: the summary view, a fraction of a full page's cost.
    paging: dict[str, str | int | None] = {
        "limit": PAGE_SIZE,
        "cursor": query.get("cursor"),
        "view": "summary",
    }
    problem: ServiceError | None = None
    try:
        if saved_id:
            page = await api.saved_filter_orders(user.token, saved_id, paging)
        else:
            page = await api.list_orders(user.token, {**filters, **paging})
    except ServiceError as error:
        if error.status != 422:
            return error_page(request, error)
        page, problem = {"items": [], "next_cursor": None}, error
    try:
        saved_filters: list[Json] = (await api.list_saved_filters(user.token)).get("items", [])
    except ServiceError:
        saved_filters = []  # the list still works without them
    base = {"saved": saved_id} if saved_id else filters
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "filters": filters,
            "problem": problem,
            "saved_id": saved_id,
            "saved_filters": saved_filters,
            "saved_name": next((f["name"] for f in saved_filters if f["id"] == saved_id), ""),
            "first_query": _query(base),
            "next_query": _query({**base, "cursor": page.get("next_cursor")}),
            "statuses": rules.STATUSES,
            "fulfilments": rules.FULFILMENTS,
            "billings": rules.BILLINGS,
            "sorts": rules.SORTS,
            "filter_key": str(uuid.uuid4()),
        },
    )


@router.post("/orders/saved-filters")
async def save_filter(request: Request, user: CurrentUser, api: Api) -> Response:
    """The list's current filters under a name, shared through the orders service."""
    form = await request.form()
    filters = {name: str(form.get(name, "") or "") for name in FILTERS}
    body: Json = {
        "name": str(form.get("name", "")).strip(),
        "query": {name: value for name, value in filters.items() if value},
    }
    try:
        saved = await api.create_saved_filter(
            user.token, body, str(form.get("idempotency_key") or uuid.uuid4())
        )
    except ServiceError as error:
        return error_page(request, error)
    return see_other(
        request,
        f"/orders?saved={saved['id']}",
        flash=N_("Filter %(name)s saved."),
        name=saved["name"],
    )


def _query(values: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


# --- new order ---------------------------------------------------------------------------------


def _line_count(value: Any) -> int:
    """How many line rows the form has (what a person could not have sent is the default)."""
    try:
        count = int(str(value))
    except ValueError:
        count = NEW_ORDER_LINES
    return min(MAX_LINES, max(NEW_ORDER_LINES, count))


def _lines_from(form: Any, count: int) -> list[dict[str, str]]:
    return [
        {name: str(form.get(f"lines-{i}-{name}", "") or "").strip() for name in LINE_FIELDS}
        for i in range(count)
    ]


async def _look_up(api: SuiteApi, token: str, line: dict[str, str]) -> dict[str, Any]:
    """Item look-up for one line: the product by SKU (else the SKUs matching the text typed,
    by name), its availability, and its description and kind when the line has none."""
    info: dict[str, Any] = {"matches": [], "stock": None, "product": None}
    text = line["sku"]
    if not text:
        return info
    product = await api.get_product(token, text)
    if product is None:
        page = await api.list_products(token, {"q": text, "limit": 10})
        info["matches"] = page.get("items", [])
        if len(info["matches"]) == 1:
            product = info["matches"][0]
            line["sku"] = product["sku"]
    if product is not None:
        info["product"] = product
        line["description"] = line["description"] or str(product.get("name", ""))
        line["kind"] = line["kind"] or str(product.get("kind", "product"))
        price = product.get("list_price") or product.get("price")
        if price is not None and not line["unit_price"]:
            line["unit_price"] = str(price.get("amount") if isinstance(price, dict) else price)
        if product.get("kind", "product") == "product":
            info["stock"] = await api.get_stock(token, product["sku"])
    return info


@dataclass(frozen=True)
class NewForm:
    """What differs between the new-order and the new-quote form (same customer search, same
    lines with the item look-up)."""

    url: str
    title: str
    submit: str
    is_quote: bool = False


ORDER_FORM = NewForm("/orders/new", N_("New order"), N_("Create order"))
QUOTE_FORM = NewForm("/quotes/new", N_("New quote"), N_("Create quote"), is_quote=True)


async def _customer_choices(api: SuiteApi, token: str, q: str) -> list[Json]:
    page = await api.list_customers(token, {"q": q, "limit": 10})
    items: list[Json] = page.get("items", [])
    return items


async def _new_order_page(
    request: Request,
    user: User,
    api: SuiteApi,
    form: Any,
    *,
    problem: ServiceError | None = None,
    status_code: int = 200,
    new: NewForm = ORDER_FORM,
) -> Response:
    count = _line_count(form.get("line_count"))
    if form.get("add_line"):
        count = min(MAX_LINES, count + 1)
    lines = _lines_from(form, count)
    customer_q = str(form.get("customer_q", "") or "")
    customer_id = str(form.get("customer_id", "") or "")
    customers, *lookups = await asyncio.gather(
        _customer_choices(api, user.token, customer_q),
        *(_look_up(api, user.token, line) for line in lines),
    )
    if customer_id and not any(c["id"] == customer_id for c in customers):
        try:
            customers.insert(0, await api.get_customer(user.token, customer_id))
        except ServiceError:
            customer_id = ""
    return render(
        request,
        "orders/new.html",
        {
            "lines": list(zip(lines, lookups, strict=True)),
            "line_count": count,
            "customers": customers,
            "customer_q": customer_q,
            "customer_id": customer_id,
            "currency": str(form.get("currency", "") or "EUR"),
            "customer_reference": str(form.get("customer_reference", "") or ""),
            "requested_delivery_date": str(form.get("requested_delivery_date", "") or ""),
            "promised_delivery_date": str(form.get("promised_delivery_date", "") or ""),
            "valid_until": str(form.get("valid_until", "") or ""),
            "new": new,
            "idempotency_key": str(form.get("idempotency_key", "") or uuid.uuid4()),
            "problem": problem,
            "field_errors": problem.field_errors() if problem else {},
        },
        status_code=status_code,
    )


@router.get("/orders/new")
async def new_order(request: Request, user: CurrentUser, api: Api) -> Response:
    return await new_form_page(request, user, api, ORDER_FORM)


async def new_form_page(request: Request, user: User, api: SuiteApi, new: NewForm) -> Response:
    """The empty form, or the form refreshed by the customer search or an item look-up."""
    try:
        return await _new_order_page(request, user, api, request.query_params, new=new)
    except ServiceError as error:
        return error_page(request, error)


def content_body(form: Any) -> Json:
    """What an order or a quote is made of, from the form: its lines with a SKU."""
    count = _line_count(form.get("line_count"))
    return {
        "customer_id": form.get("customer_id") or None,
        "currency": str(form.get("currency", "")).strip().upper(),
        "customer_reference": form.get("customer_reference") or None,
        "lines": [
            {
                "sku": line["sku"],
                "kind": line["kind"] or "product",
                "description": line["description"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "discount_percent": line["discount_percent"] or "0",
                "tax_rate": line["tax_rate"],
            }
            for line in _lines_from(form, count)
            if line["sku"]
        ],
    }


async def create_from_form(
    request: Request,
    user: User,
    api: SuiteApi,
    new: NewForm,
    create: Any,
) -> Response | Json:
    """Refresh the form (no-JavaScript look-up), or `create(form)`: its answer, or the form
    again with the refusal next to the fields it names."""
    form = await request.form()
    if form.get("look_up") or form.get("add_line"):  # the no-JavaScript refresh of the form
        return await _new_order_page(request, user, api, form, new=new)
    try:
        created: Json = await create(form)
    except ServiceError as error:
        if error.status in (401, 403) or error.status >= 500:
            return error_page(request, error)
        return await _new_order_page(
            request, user, api, form, problem=error, status_code=422, new=new
        )
    return created


@router.post("/orders/new")
async def create_order(request: Request, user: CurrentUser, api: Api) -> Response:
    async def create(form: Any) -> Json:
        body = {
            **content_body(form),
            "requested_delivery_date": form.get("requested_delivery_date") or None,
            "promised_delivery_date": form.get("promised_delivery_date") or None,
        }
        return await api.create_order(user.token, body, str(form.get("idempotency_key")))

    order = await create_from_form(request, user, api, ORDER_FORM, create)
    if isinstance(order, Response):
        return order
    return see_other(
        request,
        f"/orders/{order['id']}",
        flash=N_("Order %(number)s created."),
        number=order["number"],
    )


# --- the order card ----------------------------------------------------------------------------


async def card_context(api: SuiteApi, user: User, order_id: str) -> dict[str, Any]:
    order, timeline = await asyncio.gather(
        api.get_order(user.token, order_id), api.order_timeline(user.token, order_id)
    )
    invoices: list[Json] = []
    if order.get("billing") not in (None, "not_invoiced"):
        invoices = (await api.list_invoices(user.token, {"order_id": order_id})).get("items", [])
    stages: list[Json] = []
    if order.get("status") == "open":
        try:
            stages = (await api.list_stages(user.token)).get("stages", [])
        except ServiceError:
            stages = []  # the card works without them
    approval = next((stage for stage in stages if stage.get("is_approval")), None)
    shipments: list[Json] = []
    if order.get("fulfilment") in rules.SHIPPED_OR_SHIPPING:
        page = await api.list_shipments(user.token, {"order_id": order_id, "limit": 50})
        shipments = page.get("items", [])
    return {
        "order": order,
        "timeline": timeline,
        "invoices": invoices,
        "shipments": shipments,
        "stages": [stage for stage in stages if not stage.get("is_approval")],
        "may_stage": user.may("sales"),
        "approval_stage": approval,
        "may_approve": approval is not None
        and order.get("approval") is None
        and user.may(*(approval.get("allowed_roles") or ["sales"])),
        "may_email": user.may("sales"),
        "actions": rules.actions_for(order, user.roles),
        "may_cancel": rules.CANCEL in rules.actions_for(order, user.roles),
        "may_close_short": rules.CLOSE_SHORT in rules.actions_for(order, user.roles),
        "may_pay": user.may("accounting"),
        "settled": rules.is_settled(order),
        "action_key": str(uuid.uuid4()),
    }


async def notes_context(api: SuiteApi, token: str, order_id: str) -> dict[str, Any]:
    """The order's notes and files, for its card (left out when the service refuses them)."""
    try:
        notes = await api.read(token, "orders", path("/orders/{}/notes", order_id))
        files = await api.read(token, "orders", path("/orders/{}/files", order_id))
    except ServiceError:
        notes, files = {}, {}
    return {"notes": notes.get("items", []), "files": files.get("items", [])}


async def card_again(
    request: Request, user: User, api: SuiteApi, order_id: str, error: ServiceError
) -> Response:
    """The order's card again, with a service's refusal of what was asked on it."""
    try:
        context = await card_context(api, user, order_id)
    except ServiceError as again:
        return error_page(request, again)
    context.update(await notes_context(api, user.token, order_id))
    return render(
        request, "orders/card.html", {**context, **refusal(error)}, status_code=error.status
    )


@router.get("/orders/{order_id}")
async def order_card(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    try:
        context = await card_context(api, user, order_id)
    except ServiceError as error:
        return error_page(request, error)
    context.update(await notes_context(api, user.token, order_id))
    return render(request, "orders/card.html", context)


@router.get("/orders/{order_id}/live")
async def order_live(request: Request, order_id: str, user: CurrentUser, api: Api) -> Response:
    """The part of the card that follows the order through the services (polled by htmx)."""
    try:
        context = await card_context(api, user, order_id)
    except ServiceError as error:
        return error_page(request, error)
    return render(request, "orders/_live.html", context)


@router.post("/orders/{order_id}/{action}")
async def order_action(
    request: Request,
    order_id: str,
    action: str,
    user: CurrentUser,
    api: Api,
    reason: Annotated[str | None, Form(max_length=4000)] = None,
    idempotency_key: Annotated[str | None, Form(max_length=200)] = None,
    stage: Annotated[str | None, Form(max_length=50)] = None,
    decision: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Confirm, cancel, complete, close short, move to a stage, approve or refuse (orders) or
    ship what is left (inventory); a refusal is shown on the card in the service's words, and
    changes nothing."""
    try:
        if action == "stage":
            await api.order_action(
                user.token, order_id, "stage", {"stage": stage or "", "reason": reason or None}
            )
            message = N_("Stage changed.")
        elif action == "approval":
            approved = decision == "approve"
            await api.order_action(
                user.token, order_id, "approval", {"approved": approved, "reason": reason or None}
            )
            message = N_("Order approved.") if approved else N_("Order refused.")
        elif action == rules.SHIP.name:
            order = await api.get_order(user.token, order_id)
            body: Json = {"order_id": order_id, "lines": rules.remaining(order)}
            await api.create_shipment(user.token, body, idempotency_key or str(uuid.uuid4()))
            message = N_("Shipment recorded.")
        elif action in (rules.CONFIRM.name, rules.COMPLETE.name, rules.CANCEL.name):
            payload: Json = {"reason": reason or None} if action == rules.CANCEL.name else {}
            await api.order_action(user.token, order_id, action, payload)
            message = {
                "confirm": N_("Order confirmed."),
                "complete": N_("Order completed."),
            }.get(action, N_("Order cancelled."))
        elif action == rules.CLOSE_SHORT.name:
            await api.order_action(user.token, order_id, action, {"reason": reason or None})
            message = N_("Order closed short: it completes with what has shipped.")
        else:
            return render(
                request,
                "error.html",
                {"error": ServiceError(404, N_("Not found"))},
                status_code=404,
            )
    except ServiceError as error:
        if error.status in (401, 404) or error.status >= 500:
            return error_page(request, error)
        return await card_again(request, user, api, order_id, error)
    return see_other(request, f"/orders/{order_id}", flash=message)
