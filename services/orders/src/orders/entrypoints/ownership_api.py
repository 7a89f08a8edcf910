"""Owners over HTTP: who is looking (every route), and reassigning customers, quotes and orders
one at a time or in bulk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.config import OrdersSettings
from orders.entrypoints import (
    customers_schemas,
    mapping,
    orders_schemas,
    ownership_schemas,
    quotes_schemas,
)
from orders.entrypoints.common import PROBLEMS, SALES, run_query
from orders.service_layer import reassignment
from orders.service_layer.ownership import look_as
from servicekit.auth import Principal, authenticate
from servicekit.runtime import runtime_of
from servicekit.visibility import viewer_of

router = APIRouter(tags=["owners"])


async def see_as_caller(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> None:
    """Every route sees customers, quotes and orders as the caller's roles allow."""
    settings: OrdersSettings = runtime_of(request).settings  # type: ignore[assignment]
    look_as(viewer_of(principal, settings.visibility))


def _reassignment(body: ownership_schemas.Reassign) -> reassignment.Reassignment:
    return reassignment.Reassignment(
        owner=body.owner, team=body.team, change_team="team" in body.model_fields_set
    )


UseCase = Callable[[SqlUnitOfWork, Sequence[str], reassignment.Reassignment], Awaitable[list[Any]]]


def _reassigning(
    plural: str,
    read_model: type[BaseModel],
    use_case: UseCase,
    read: Callable[[SqlUnitOfWork, Any], Awaitable[BaseModel]],
) -> None:
    """`POST /<plural>/{id}/reassign` and the bulk `POST /<plural>/reassign` for one kind."""
    kind = plural.removesuffix("s")

    @router.post(
        f"/{plural}/reassign",
        dependencies=SALES,
        response_model=ownership_schemas.ReassignedPage,
        responses=PROBLEMS,
        name=f"reassign_{plural}",
        summary=f"Reassign {plural} in bulk",
        description=f"Give the {plural} to another owner (and team, if given), all or none: 404 "
        f"if one is unknown to the caller. Each change is on the {kind}'s timeline.",
    )
    async def bulk(
        body: ownership_schemas.BulkReassign, request: Request
    ) -> ownership_schemas.ReassignedPage:
        changed = await run_query(request, use_case, body.ids, _reassignment(body))
        return ownership_schemas.ReassignedPage(
            items=[
                ownership_schemas.OwnerRead(id=r.id, owner=r.owner, team=r.team) for r in changed
            ]
        )

    @router.post(
        f"/{plural}/{{record_id}}/reassign",
        dependencies=SALES,
        response_model=read_model,
        responses=PROBLEMS,
        name=f"reassign_{kind}",
        summary=f"Reassign a {kind}",
        description=f"Give the {kind} to another owner (and team, if given; `null` clears it); "
        f"on the {kind}'s timeline with the actor.",
    )
    async def single(
        record_id: str, body: ownership_schemas.Reassign, request: Request
    ) -> BaseModel:
        async def run(uow: SqlUnitOfWork) -> BaseModel:
            (changed,) = await use_case(uow, [record_id], _reassignment(body))
            return await read(uow, changed)

        return await run_query(request, run)


async def _customer_read(_: SqlUnitOfWork, customer: Any) -> BaseModel:
    return mapping.customer_read(customer)


_reassigning("orders", orders_schemas.OrderRead, reassignment.reassign_orders, mapping.read_order)
_reassigning("quotes", quotes_schemas.QuoteRead, reassignment.reassign_quotes, mapping.read_quote)
_reassigning(
    "customers",
    customers_schemas.CustomerRead,
    reassignment.reassign_customers,
    _customer_read,
)
