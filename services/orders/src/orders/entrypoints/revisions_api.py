"""Order revisions over HTTP: change a confirmed order, list what changed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.content import LineKind
from orders.domain.order import Order
from orders.domain.revisions import REVISABLE_HEADER_FIELDS, RevisedLine, Revision
from orders.entrypoints import mapping, orders_schemas, revisions_schemas
from orders.entrypoints.common import (
    CONDITIONAL_PROBLEMS,
    PROBLEMS,
    SALES,
    changed_once,
    run_query,
)
from orders.service_layer import orders, revisions
from servicekit.api import IdempotencyKey
from servicekit.concurrency import IfMatch
from servicekit.observability import current_correlation_id

router = APIRouter(tags=["orders"])


def revised_lines(body: revisions_schemas.RevisionCreate) -> list[RevisedLine] | None:
    if body.lines is None:
        return None
    return [
        RevisedLine(
            line_no=line.line_no,
            sku=line.sku,
            kind=LineKind(line.kind.value) if line.kind is not None else None,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            requested_delivery_date=line.requested_delivery_date,
            promised_delivery_date=line.promised_delivery_date,
        )
        for line in body.lines
    ]


def revision_read(revision: Revision) -> revisions_schemas.RevisionRead:
    return revisions_schemas.RevisionRead(
        revision=revision.revision,
        revised_at=revision.revised_at,
        actor=revision.actor,
        changes=[
            revisions_schemas.FieldChangeRead(field=c.field, before=c.before, after=c.after)
            for c in revision.changes
        ],
    )


@router.post(
    "/orders/{order_id}/revisions",
    dependencies=SALES,
    response_model=orders_schemas.OrderRead,
    responses=CONDITIONAL_PROBLEMS,
)
async def revise_order(
    order_id: str,
    body: revisions_schemas.RevisionCreate,
    request: Request,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Change a confirmed (open) order: quantities, prices, lines added or removed, its date,
    its and its lines' requested and promised delivery dates (`null` clears the order's).

    Inventory reserves or releases the difference; the confirmation PDF is rendered again as
    this revision; the timeline shows each changed field and who changed it. 409 unless the
    order is open, or below a shipped quantity; 412 when `If-Match` is stale; 422 naming the
    field when nothing changes or a line is invalid. With `Idempotency-Key`, a retry gets the
    first answer again (the same revision, not a second one); the key with another body → 422."""
    header = {
        name: getattr(body, name)
        for name in REVISABLE_HEADER_FIELDS
        if name in body.model_fields_set
    }

    async def locked(uow: SqlUnitOfWork) -> Order:
        return await orders.get_order(uow, order_id, for_update=True)

    async def revise(uow: SqlUnitOfWork) -> Order:
        return await revisions.revise_confirmed_order(
            uow, order_id, header, revised_lines(body), correlation_id=current_correlation_id()
        )

    return await changed_once(
        request,
        if_match,
        mapping.read_order,
        locked,
        revise,
        scope="orders.revisions",
        key=idempotency_key,
        body={"order_id": order_id, **body.model_dump(mode="json", exclude_unset=True)},
    )


@router.get(
    "/orders/{order_id}/revisions",
    response_model=revisions_schemas.RevisionList,
    responses=PROBLEMS,
)
async def list_revisions(order_id: str, request: Request) -> revisions_schemas.RevisionList:
    """The order's revisions, oldest first, each with what changed and who changed it."""
    found = await run_query(request, revisions.order_revisions, order_id)
    return revisions_schemas.RevisionList(items=[revision_read(r) for r in found])
