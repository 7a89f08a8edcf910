"""An order's invoicing: its policy (its own, or the service's default) and how far it is
invoiced (amounts and quantities per line)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from billing.config import BillingSettings
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.entrypoints.common import ACCOUNTING_FOR_CHANGES, UnitOfWorkDep
from billing.entrypoints.order_invoicing_schemas import (
    InvoicingPolicyUpdate,
    OrderInvoicingRead,
)
from billing.service_layer import order_invoicing
from servicekit.api import NO_NUL, problem_responses
from servicekit.http import NotFound
from servicekit.runtime import runtime_of

router = APIRouter(tags=["order invoicing"], dependencies=ACCOUNTING_FOR_CHANGES)

OrderId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]


def _default_policy(request: Request) -> InvoicingPolicy:
    settings = runtime_of(request).settings
    assert isinstance(settings, BillingSettings)
    return settings.invoicing_policy


async def _read(request: Request, uow: UnitOfWorkDep, order_id: str) -> OrderInvoicingRead:
    try:
        found = await order_invoicing.progress(
            uow, order_id, default_policy=_default_policy(request)
        )
    except order_invoicing.OrderUnknown:
        raise NotFound(f"billing knows no order {order_id}") from None
    return OrderInvoicingRead.model_validate(found, from_attributes=True)


@router.get(
    "/orders/{order_id}/invoicing",
    response_model=OrderInvoicingRead,
    responses=problem_responses(404),
)
async def get_order_invoicing(
    request: Request, order_id: OrderId, uow: UnitOfWorkDep
) -> OrderInvoicingRead:
    """The order's policy, invoiced and uninvoiced amounts, and quantities per line."""
    return await _read(request, uow, order_id)


@router.put(
    "/orders/{order_id}/invoicing-policy",
    response_model=OrderInvoicingRead,
    responses=problem_responses(422),
)
async def put_invoicing_policy(
    request: Request, order_id: OrderId, body: InvoicingPolicyUpdate, uow: UnitOfWorkDep
) -> OrderInvoicingRead:
    """Give the order a policy of its own (on_completion, on_delivery or manual); it applies
    to what happens to the order next."""
    async with uow.session.begin():
        await order_invoicing.set_policy(uow, order_id, body.policy)
    return await _read(request, uow, order_id)
