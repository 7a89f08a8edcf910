"""Customers' later life over HTTP: change (If-Match), archive and restore, delete; and the
customer groups price lists key on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.customer import Customer, CustomerGroup
from orders.domain.errors import Conflicting
from orders.entrypoints import customers_schemas, mapping
from orders.entrypoints.common import (
    ADMIN,
    CONDITIONAL_PROBLEMS,
    PROBLEMS,
    SALES,
    problems,
    run_query,
    unit_of_work,
)
from orders.service_layer import customer_changes, customer_groups, customers
from orders.service_layer.customer_changes import DuplicateWarning
from orders.service_layer.customer_groups import GroupNotFound
from servicekit.api import ErrorTable, problems_from
from servicekit.concurrency import IfMatch, entity_tag, require_match
from servicekit.http import Conflict, NotFound

router = APIRouter(tags=["customers"])

# Beside the service's common problems (common.problems).
CONFLICTS: ErrorTable = {Conflicting: Conflict, GroupNotFound: NotFound}


def written(
    customer: Customer, warnings: list[DuplicateWarning]
) -> customers_schemas.CustomerWritten:
    """The customer as created or changed, with the possible duplicates."""
    return customers_schemas.CustomerWritten(
        **mapping.customer_read(customer).model_dump(),
        warnings=[customers_schemas.DuplicateWarningRead(**vars(w)) for w in warnings],
    )


@router.patch(
    "/customers/{customer_id}",
    dependencies=SALES,
    response_model=customers_schemas.CustomerWritten,
    responses=CONDITIONAL_PROBLEMS,
)
async def change_customer(
    customer_id: str,
    body: customers_schemas.CustomerUpdate,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> customers_schemas.CustomerWritten:
    """Change name, e-mail, group or tax id; 412 when `If-Match` is not the customer's `ETag`,
    409 while archived. `warnings` name other customers with the same tax id or e-mail."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    with problems_from(CONFLICTS), problems():
        async with unit_of_work(request) as uow:
            if if_match is not None:
                current = await customers.find_customer(uow, customer_id, for_update=True)
                require_match(if_match, entity_tag(mapping.customer_read(current)))
            changed = await customer_changes.change_customer(uow, customer_id, changes)
            warnings = await customer_changes.duplicates_of(uow, changed)
    response.headers["ETag"] = entity_tag(mapping.customer_read(changed))
    return written(changed, warnings)


async def _archive(request: Request, customer_id: str, archived: bool) -> Any:
    with problems_from(CONFLICTS):
        changed = await run_query(
            request, customer_changes.archive_customer, customer_id, archived=archived
        )
    return mapping.customer_read(changed)


@router.post(
    "/customers/{customer_id}/archive",
    dependencies=SALES,
    response_model=customers_schemas.CustomerRead,
    responses=PROBLEMS,
)
async def archive_customer(customer_id: str, request: Request) -> Any:
    """Archive the customer: out of the default lists, no new orders or quotes (409 if it is)."""
    return await _archive(request, customer_id, True)


@router.post(
    "/customers/{customer_id}/restore",
    dependencies=SALES,
    response_model=customers_schemas.CustomerRead,
    responses=PROBLEMS,
)
async def restore_customer(customer_id: str, request: Request) -> Any:
    """Restore an archived customer (409 if it is not archived)."""
    return await _archive(request, customer_id, False)


@router.delete("/customers/{customer_id}", dependencies=SALES, status_code=204, responses=PROBLEMS)
async def delete_customer(customer_id: str, request: Request) -> Response:
    """Delete a customer no order or quote names (409 otherwise: archive it instead)."""
    with problems_from(CONFLICTS):
        await run_query(request, customer_changes.delete_customer, customer_id)
    return Response(status_code=204)


# A group's code in a path: what a group may be called (anything else names no group).
CodeParam = Annotated[str, Path(max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]

# --- groups --------------------------------------------------------------------------------------


def _group_read(group: CustomerGroup) -> customers_schemas.CustomerGroupRead:
    return customers_schemas.CustomerGroupRead(**vars(group))


@router.post(
    "/customer-groups",
    dependencies=ADMIN,
    status_code=201,
    response_model=customers_schemas.CustomerGroupRead,
    responses=PROBLEMS,
)
async def create_group(
    body: customers_schemas.CustomerGroupCreate, request: Request
) -> customers_schemas.CustomerGroupRead:
    """A customer group (409 if the code is taken); price lists key on its code."""
    with problems_from(CONFLICTS):
        group = await run_query(
            request, customer_groups.create_group, body.code, body.name, body.description
        )
    return _group_read(group)


@router.get("/customer-groups", response_model=customers_schemas.CustomerGroupPage)
async def list_groups(request: Request) -> customers_schemas.CustomerGroupPage:
    """Every customer group by code (never more than one page)."""
    found = await run_query(request, customer_groups.list_groups)
    return customers_schemas.CustomerGroupPage(
        items=[_group_read(g) for g in found], next_cursor=None
    )


@router.get(
    "/customer-groups/{code}",
    response_model=customers_schemas.CustomerGroupRead,
    responses=PROBLEMS,
)
async def get_group(code: CodeParam, request: Request) -> customers_schemas.CustomerGroupRead:
    with problems_from(CONFLICTS):
        return _group_read(await run_query(request, customer_groups.get_group, code))


@router.patch(
    "/customer-groups/{code}",
    dependencies=ADMIN,
    response_model=customers_schemas.CustomerGroupRead,
    responses=PROBLEMS,
)
async def change_group(
    code: CodeParam, body: customers_schemas.CustomerGroupUpdate, request: Request
) -> customers_schemas.CustomerGroupRead:
    """Rename the group or change its description (its code never changes)."""
    clear = "description" in body.model_fields_set
    with problems_from(CONFLICTS):
        group = await run_query(
            request, customer_groups.change_group, code, body.name, body.description, clear=clear
        )
    return _group_read(group)


@router.delete("/customer-groups/{code}", dependencies=ADMIN, status_code=204, responses=PROBLEMS)
async def delete_group(code: CodeParam, request: Request) -> Response:
    """Delete a group no customer is in (409 otherwise)."""
    with problems_from(CONFLICTS):
        await run_query(request, customer_groups.delete_group, code)
    return Response(status_code=204)


async def created_with_warnings(uow: SqlUnitOfWork, customer: Customer) -> Any:
    """The answer to creating a customer: it, and its possible duplicates."""
    return written(customer, await customer_changes.duplicates_of(uow, customer))
