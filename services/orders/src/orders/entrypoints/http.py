"""The HTTP API: customers, orders, their transitions and timelines (thin views)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from orders.adapters.repository import SqlUnitOfWork, canonical_id
from orders.domain.model import (
    Address,
    Billing,
    Customer,
    Fulfilment,
    IllegalTransition,
    InvalidOrder,
    LineInput,
    LineKind,
    Order,
    OrderStatus,
    PaymentTerms,
)
from orders.domain.totals import plain
from orders.entrypoints import schemas
from orders.service_layer import services
from orders.service_layer.unit_of_work import OrderFilters
from servicekit.auth import Role, require
from servicekit.http import (
    PROBLEM_JSON,
    Conflict,
    InvalidInput,
    NotFound,
    decode_cursor,
    encode_cursor,
    idempotent,
)
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {}}}
    for status, text in (
        (404, "No such resource"),
        (409, "Not allowed in the order's current state"),
        (422, "Invalid input; `errors` names the fields"),
    )
}

Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of a page")]
IdempotencyKey = Annotated[
    str | None,
    Header(description="Retrying with the same key returns the first response, once created"),
]

router = APIRouter()

# Who may change what (reads need any role: servicekit's runtime checks that for every route).
SALES = [Depends(require(Role.SALES))]
SALES_OR_INTEGRATION = [Depends(require(Role.SALES, Role.INTEGRATION))]


@asynccontextmanager
async def unit_of_work(request: Request) -> AsyncIterator[SqlUnitOfWork]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    async with runtime_of(request).sessionmaker() as session, session.begin():
        yield SqlUnitOfWork(session)


@contextmanager
def problems() -> Iterator[None]:
    """Domain and use-case errors as HTTP problems (raised after the rollback)."""
    try:
        yield
    except (services.OrderNotFound, services.CustomerNotFound) as exc:
        raise NotFound(str(exc)) from None
    except IllegalTransition as exc:
        raise Conflict(str(exc), current_status=exc.status.value, action=exc.action) from None
    except InvalidOrder as exc:
        raise InvalidInput.field(f"body.{exc.field}", exc.message) from None


# --- mapping between the API's shapes and the domain's ------------------------------------------


def _address(body: schemas.Address | None) -> Address | None:
    return None if body is None else Address(**body.model_dump())


def _address_read(address: Address | None) -> schemas.Address | None:
    return None if address is None else schemas.Address(**asdict(address))


def _line_inputs(lines: list[schemas.OrderLineCreate]) -> list[LineInput]:
    return [
        LineInput(
            sku=line.sku,
            kind=LineKind(line.kind.value),
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
        )
        for line in lines
    ]


def _terms(body: schemas.PaymentTerms | None) -> PaymentTerms | None:
    return None if body is None else PaymentTerms(days=body.days, text=body.text)


def customer_read(customer: Customer) -> schemas.CustomerRead:
    return schemas.CustomerRead(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        billing_address=_address_read(customer.billing_address),
        shipping_address=_address_read(customer.shipping_address),
        created_at=customer.created_at,
    )


def order_read(order: Order, customer: Customer) -> schemas.OrderRead:
    totals = order.totals
    return schemas.OrderRead(
        id=order.id,
        number=order.number,
        status=order.status,
        fulfilment=order.fulfilment,
        billing=order.billing,
        customer=schemas.CustomerRef(id=customer.id, name=customer.name, email=customer.email),
        contact=order.contact,
        order_date=order.order_date,
        currency=order.currency,
        customer_reference=order.customer_reference,
        description=order.description,
        opening_text=order.opening_text,
        closing_text=order.closing_text,
        payment_terms=schemas.PaymentTerms(
            days=order.payment_terms.days, text=order.payment_terms.text
        ),
        billing_address=_address_read(order.billing_address),
        shipping_address=_address_read(order.shipping_address),
        lines=[
            schemas.OrderLineRead(
                line_no=line.line_no,
                sku=line.sku,
                kind=line.kind.value,
                description=line.description,
                quantity=plain(line.quantity),
                unit_price=line.unit_price,
                discount_percent=plain(line.discount_percent),
                tax_rate=plain(line.tax_rate),
                net_amount=line.amounts.net,
                tax_amount=line.amounts.tax,
                gross_amount=line.amounts.gross,
                shipped_quantity=plain(line.shipped_quantity),
            )
            for line in order.lines
        ],
        totals=schemas.TotalsRead(
            net=totals.net,
            tax=totals.tax,
            gross=totals.gross,
            taxes=[schemas.TaxLineRead(**asdict(tax)) for tax in totals.taxes],
        ),
        documents=[schemas.DocumentRead(**asdict(d)) for d in order.documents],
        external_reference=order.external_reference,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


async def _order_reads(uow: SqlUnitOfWork, orders: list[Order]) -> list[schemas.OrderRead]:
    customers = await uow.customers.get_many({order.customer_id for order in orders})
    return [order_read(order, customers[order.customer_id]) for order in orders]


# --- customers -----------------------------------------------------------------------------------


@router.post(
    "/customers",
    dependencies=SALES_OR_INTEGRATION,
    status_code=201,
    response_model=schemas.CustomerRead,
    responses=PROBLEMS,
    tags=["customers"],
)
async def create_customer(
    body: schemas.CustomerCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a customer."""
    async with unit_of_work(request) as uow:

        async def create() -> tuple[int, Any]:
            customer = await services.create_customer(
                uow,
                services.NewCustomer(
                    name=body.name,
                    email=body.email,
                    billing_address=_address(body.billing_address),
                    shipping_address=_address(body.shipping_address),
                ),
            )
            return 201, customer_read(customer).model_dump(mode="json")

        status, content = await idempotent(
            uow.session,
            runtime_of(request).metadata,
            scope="customers",
            key=idempotency_key,
            body=body.model_dump(mode="json"),
            create=create,
        )
    return JSONResponse(content, status_code=status)


@router.get(
    "/customers/{customer_id}",
    response_model=schemas.CustomerRead,
    responses=PROBLEMS,
    tags=["customers"],
)
async def get_customer(customer_id: str, request: Request) -> schemas.CustomerRead:
    """One customer."""
    with problems():
        async with unit_of_work(request) as uow:
            return customer_read(await services.get_customer(uow, customer_id))


@router.get("/customers", response_model=schemas.CustomerPage, tags=["customers"])
async def list_customers(
    request: Request,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the name or e-mail address")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.CustomerPage:
    """Customers by name, optionally those whose name or e-mail contains `q`."""
    position = decode_cursor(cursor)
    after: tuple[str, str] | None = None
    if position is not None:
        name, last_id = position.get("name"), canonical_id(position.get("id"))
        if not isinstance(name, str) or last_id is None:
            raise InvalidInput.field("query.cursor", "not a cursor of this list")
        after = (name, last_id)
    async with unit_of_work(request) as uow:
        found = await uow.customers.search(q=q, limit=limit + 1, after=after)
    page = found[:limit]
    next_cursor = (
        encode_cursor({"name": page[-1].name, "id": page[-1].id}) if len(found) > limit else None
    )
    return schemas.CustomerPage(items=[customer_read(c) for c in page], next_cursor=next_cursor)


# --- orders --------------------------------------------------------------------------------------


@router.post(
    "/orders",
    dependencies=SALES_OR_INTEGRATION,
    status_code=201,
    response_model=schemas.OrderRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def create_order(
    body: schemas.OrderCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a draft order (numbered, totals computed here); emits order.created."""
    new = services.NewOrder(
        customer_id=str(body.customer_id),
        currency=body.currency,
        lines=_line_inputs(body.lines),
        order_date=body.order_date,
        contact=body.contact,
        customer_reference=body.customer_reference,
        description=body.description,
        opening_text=body.opening_text,
        closing_text=body.closing_text,
        payment_terms=_terms(body.payment_terms),
        billing_address=_address(body.billing_address),
        shipping_address=_address(body.shipping_address),
    )
    with problems():
        async with unit_of_work(request) as uow:

            async def create() -> tuple[int, Any]:
                order = await services.create_order(
                    uow, new, correlation_id=current_correlation_id()
                )
                customer = await services.get_customer(uow, order.customer_id)
                return 201, order_read(order, customer).model_dump(mode="json")

            status, content = await idempotent(
                uow.session,
                runtime_of(request).metadata,
                scope="orders",
                key=idempotency_key,
                body=body.model_dump(mode="json"),
                create=create,
            )
    return JSONResponse(content, status_code=status)


@router.get("/orders", response_model=schemas.OrderPage, responses=PROBLEMS, tags=["orders"])
async def list_orders(
    request: Request,
    status: OrderStatus | None = None,
    fulfilment: Fulfilment | None = None,
    billing: Billing | None = None,
    customer_id: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(description="Order date on or after")] = None,
    date_to: Annotated[date | None, Query(description="Order date on or before")] = None,
    external_reference: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.OrderPage:
    """Orders, newest first, filtered by status, customer and order date."""
    position = decode_cursor(cursor)
    before: tuple[datetime, str] | None = None
    if position is not None:
        try:
            created_at = datetime.fromisoformat(position["created_at"])
        except (KeyError, TypeError, ValueError):
            created_at = None
        last_id = canonical_id(position.get("id"))
        if created_at is None or created_at.tzinfo is None or last_id is None:
            raise InvalidInput.field("query.cursor", "not a cursor of this list")
        before = (created_at, last_id)
    filters = OrderFilters(
        status=status,
        fulfilment=fulfilment,
        billing=billing,
        customer_id=str(customer_id) if customer_id else None,
        date_from=date_from,
        date_to=date_to,
        external_reference=external_reference,
    )
    async with unit_of_work(request) as uow:
        found = await uow.orders.search(filters, limit=limit + 1, before=before)
        page = found[:limit]
        items = await _order_reads(uow, page)
    next_cursor = None
    if len(found) > limit:
        next_cursor = encode_cursor({"created_at": page[-1].created_at, "id": page[-1].id})
    return schemas.OrderPage(items=items, next_cursor=next_cursor)


@router.get(
    "/orders/{order_id}", response_model=schemas.OrderRead, responses=PROBLEMS, tags=["orders"]
)
async def get_order(order_id: str, request: Request) -> schemas.OrderRead:
    """One order with its lines, totals, state and documents."""
    with problems():
        async with unit_of_work(request) as uow:
            return (await _order_reads(uow, [await services.get_order(uow, order_id)]))[0]


@router.patch(
    "/orders/{order_id}",
    dependencies=SALES,
    response_model=schemas.OrderRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def update_order(
    order_id: str, body: schemas.OrderUpdate, request: Request
) -> schemas.OrderRead:
    """Change a draft order; given lines replace all its lines. 409 once confirmed."""
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    for name in given - {"lines", "customer_id", "payment_terms"}:
        value = getattr(body, name)
        if name in ("billing_address", "shipping_address"):
            value = _address(value)
        changes[name] = value
    if "customer_id" in given:
        changes["customer_id"] = str(body.customer_id)
    if "payment_terms" in given:
        changes["payment_terms"] = _terms(body.payment_terms)
    lines = _line_inputs(body.lines) if body.lines is not None else None
    with problems():
        async with unit_of_work(request) as uow:
            order = await services.revise_order(uow, order_id, changes, lines)
            return (await _order_reads(uow, [order]))[0]


async def _transition(request: Request, action: Any, *args: Any) -> schemas.OrderRead:
    with problems():
        async with unit_of_work(request) as uow:
            order = await action(uow, *args, correlation_id=current_correlation_id())
            return (await _order_reads(uow, [order]))[0]


@router.post(
    "/orders/{order_id}/confirm",
    dependencies=SALES,
    response_model=schemas.OrderRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def confirm_order(order_id: str, request: Request) -> schemas.OrderRead:
    """draft → open: stock gets reserved; emits order.confirmed."""
    return await _transition(request, services.confirm_order, order_id)


@router.post(
    "/orders/{order_id}/cancel",
    dependencies=SALES,
    response_model=schemas.OrderRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def cancel_order(
    order_id: str, request: Request, body: schemas.OrderCancel | None = None
) -> schemas.OrderRead:
    """draft/open → cancelled: reserved stock is released; emits order.cancelled."""
    reason = body.reason if body is not None else None
    return await _transition(request, services.cancel_order, order_id, reason)


@router.post(
    "/orders/{order_id}/complete",
    dependencies=SALES,
    response_model=schemas.OrderRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def complete_order(order_id: str, request: Request) -> schemas.OrderRead:
    """open → concluded once fully shipped (services only: at once); emits order.completed."""
    return await _transition(request, services.complete_order, order_id)


@router.get(
    "/orders/{order_id}/timeline",
    response_model=schemas.TimelineRead,
    responses=PROBLEMS,
    tags=["orders"],
)
async def order_timeline(order_id: str, request: Request) -> schemas.TimelineRead:
    """Every event about the order, from every service, oldest first."""
    with problems():
        async with unit_of_work(request) as uow:
            order = await services.get_order(uow, order_id)
            entries = await uow.timeline(order.id)
    return schemas.TimelineRead(
        items=[schemas.TimelineEntryRead(**asdict(entry)) for entry in entries]
    )
