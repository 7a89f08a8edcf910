"""Customers over HTTP: the customers, their addresses and their orders."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.content import Address
from orders.entrypoints import (
    content_schemas,
    customer_changes_api,
    customers_schemas,
    mapping,
    orders_schemas,
)
from orders.entrypoints.common import (
    PROBLEMS,
    SALES,
    SALES_OR_INTEGRATION,
    created_once,
    creating,
    name_and_id,
    name_and_id_of,
    run_lookup,
    run_query,
    unit_of_work,
)
from orders.entrypoints.orders_api import (
    OrderPages,
    OrderQueryParams,
    ViewParam,
    filters_of,
    order_list,
)
from orders.entrypoints.ownership_schemas import OwnerParam, TeamParam
from orders.service_layer import addresses, customers, timeline
from orders.service_layer.ownership import current_viewer
from orders.service_layer.ports import CustomerFilters
from servicekit.api import Cursor, IdempotencyKey, Limit, Storable
from servicekit.concurrency import tagged
from servicekit.pagination import cursor_position, page_of

router = APIRouter(tags=["customers"])

ADDRESS_FIELDS = ("name", "line1", "line2", "postal_code", "city", "region", "country")


@creating(
    router, "/customers", customers_schemas.CustomerWritten, dependencies=SALES_OR_INTEGRATION
)
async def create_customer(
    body: customers_schemas.CustomerCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Create a customer; the addresses given become its default billing/shipping addresses.
    `warnings` name other customers with the same tax id or e-mail address."""
    new = customers.NewCustomer(
        name=body.name,
        email=body.email,
        billing_address=mapping.address(body.billing_address),
        shipping_address=mapping.address(body.shipping_address),
        group=body.group,
        tax_id=body.tax_id,
    )

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        customer = await customers.create_customer(uow, new)
        return await customer_changes_api.created_with_warnings(uow, customer)  # type: ignore[no-any-return]

    return await created_once(
        request,
        scope="customers",
        key=idempotency_key,
        body=body.model_dump(mode="json"),
        create=create,
    )


@router.get(
    "/customers/{customer_id}", response_model=customers_schemas.CustomerRead, responses=PROBLEMS
)
async def get_customer(
    customer_id: str, request: Request, response: Response
) -> customers_schemas.CustomerRead:
    """One customer, with its default billing and shipping addresses; `ETag` of this content."""
    customer = await run_lookup(request, customers.find_customer, customer_id)
    return tagged(response, mapping.customer_read(customer))


async def customer_filters(
    q: Annotated[
        str | None,
        Query(max_length=200, description="Part of the name or e-mail address"),
        Storable,
    ] = None,
    owner: OwnerParam = None,
    team: TeamParam = None,
    group: Annotated[str | None, Query(max_length=50), Storable] = None,
    archived: Annotated[bool, Query(description="true: archived customers only")] = False,
) -> CustomerFilters:
    """The filters of customer lists, limited to what the caller may see."""
    viewer = current_viewer()
    return CustomerFilters(
        q=q,
        owner=viewer.resolve_owner(owner),
        team=team,
        group=group,
        archived=archived,
        viewer=viewer,
    )


CustomerQuery = Annotated[CustomerFilters, Depends(customer_filters)]


@router.get("/customers", response_model=customers_schemas.CustomerPage)
async def list_customers(
    request: Request, filters: CustomerQuery, limit: Limit = 50, cursor: Cursor = None
) -> customers_schemas.CustomerPage:
    """Customers by name, optionally those whose name or e-mail contains `q`; only those the
    caller may see."""
    after = cursor_position(cursor, name_and_id)
    async with unit_of_work(request) as uow:
        found = await uow.customers.search(filters, limit=limit + 1, after=after)
    page, next_cursor = page_of(found, limit, name_and_id_of)
    return customers_schemas.CustomerPage(
        items=[mapping.customer_read(c) for c in page], next_cursor=next_cursor
    )


@router.get("/customers/{customer_id}/orders", response_model=OrderPages, responses=PROBLEMS)
async def customer_orders(
    customer_id: str,
    request: Request,
    query: OrderQueryParams,
    limit: Limit = 50,
    cursor: Cursor = None,
    view: ViewParam = orders_schemas.OrderView.FULL,
) -> orders_schemas.OrderPage | Response:
    """The customer's orders, with the filters, sorts and views of GET /orders."""
    customer = await run_lookup(request, customers.find_customer, customer_id)
    filters = filters_of(query, customer_id=customer.id)
    return await order_list(request, filters, limit, cursor, view)


@router.get(
    "/customers/{customer_id}/timeline",
    response_model=content_schemas.TimelineRead,
    responses=PROBLEMS,
)
async def customer_timeline(customer_id: str, request: Request) -> content_schemas.TimelineRead:
    """What happened to the customer (reassignments, notes), oldest first."""
    entries = await run_query(request, timeline.customer_timeline, customer_id)
    return mapping.timeline_read(entries)


# --- addresses -----------------------------------------------------------------------------------


@creating(router, "/customers/{customer_id}/addresses", customers_schemas.CustomerAddressRead)
async def add_address(
    customer_id: str,
    body: customers_schemas.CustomerAddressCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add a billing or shipping address (the first of a kind is its default)."""
    new = addresses.NewAddress(
        kind=body.kind,
        label=body.label,
        is_default=body.is_default,
        address=Address(**body.model_dump(include=set(ADDRESS_FIELDS))),
    )

    async def create(uow: SqlUnitOfWork) -> BaseModel:
        return mapping.customer_address_read(await addresses.add_address(uow, customer_id, new))

    return await created_once(
        request,
        scope="addresses",
        key=idempotency_key,
        body={"customer_id": customer_id, **body.model_dump(mode="json")},
        create=create,
    )


@router.get(
    "/customers/{customer_id}/addresses",
    response_model=customers_schemas.CustomerAddressPage,
    responses=PROBLEMS,
)
async def list_addresses(
    customer_id: str, request: Request
) -> customers_schemas.CustomerAddressPage:
    """The customer's addresses, oldest first (never more than one page)."""
    found = await run_query(request, addresses.list_addresses, customer_id)
    return customers_schemas.CustomerAddressPage(
        items=[mapping.customer_address_read(a) for a in found], next_cursor=None
    )


@router.patch(
    "/customers/{customer_id}/addresses/{address_id}",
    dependencies=SALES,
    response_model=customers_schemas.CustomerAddressRead,
    responses=PROBLEMS,
)
async def change_address(
    customer_id: str,
    address_id: uuid.UUID,
    body: customers_schemas.CustomerAddressUpdate,
    request: Request,
) -> customers_schemas.CustomerAddressRead:
    """Change an address. Orders keep the copy they took."""
    given = body.model_fields_set
    changes: dict[str, object] = {
        name: getattr(body, name) for name in given & {"kind", "label", "is_default"}
    }
    address_changes = {name: getattr(body, name) for name in given & set(ADDRESS_FIELDS)}
    changed = await run_query(
        request, addresses.change_address, customer_id, str(address_id), changes, address_changes
    )
    return mapping.customer_address_read(changed)


@router.delete(
    "/customers/{customer_id}/addresses/{address_id}",
    dependencies=SALES,
    status_code=204,
    responses=PROBLEMS,
)
async def delete_address(customer_id: str, address_id: uuid.UUID, request: Request) -> Response:
    """Delete an address; if it was the default, the oldest other one of its kind becomes it."""
    await run_query(request, addresses.remove_address, customer_id, str(address_id))
    return Response(status_code=204)
