"""Shipments: reserved stock leaves the warehouse for an order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from inventory.domain.commands import ConfirmDelivery, DispatchShipment
from inventory.domain.records import Carriage
from inventory.entrypoints.common import (
    PROBLEMS,
    WAREHOUSE_ONLY,
    OrderIdQuery,
    RuntimeDep,
    UnitOfWorkDep,
    change,
    create_once,
)
from inventory.entrypoints.shipments_schemas import (
    DeliveryConfirmation,
    ShipmentCreate,
    ShipmentPage,
    ShipmentRead,
)
from inventory.service_layer import shipments
from inventory.service_layer.ports import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit
from servicekit.auth import current_actor
from servicekit.http import NotFound
from servicekit.observability import current_correlation_id
from servicekit.pagination import (
    created_at_and_id,
    created_at_and_id_of,
    cursor_position,
    next_cursor,
)

router = APIRouter(tags=["shipments"], responses=PROBLEMS)


@router.post(
    "/shipments", status_code=201, response_model=ShipmentRead, dependencies=WAREHOUSE_ONLY
)
async def create_shipment(
    body: ShipmentCreate, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Ship reserved stock of an order (partial shipments allowed); 409 names an SKU over."""
    command = DispatchShipment(
        order_id=body.order_id,
        lines=tuple((line.sku, line.quantity) for line in body.lines),
        carriage=Carriage(
            carrier=body.carrier,
            tracking_number=body.tracking_number,
            shipping_date=body.shipping_date,
        ),
        warehouse=body.warehouse,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )

    async def create(uow: UnitOfWork) -> ShipmentRead:
        return ShipmentRead.of(await shipments.dispatch_shipment(uow, command))

    return await create_once(
        runtime, scope="shipments", idempotency_key=idempotency_key, body=body, create=create
    )


@router.get("/shipments")
async def list_shipments(
    uow: UnitOfWorkDep,
    order_id: OrderIdQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ShipmentPage:
    """Shipments, oldest first."""
    found, more = await shipments.list_shipments(
        uow, limit=limit, order_id=order_id, after=cursor_position(cursor, created_at_and_id)
    )
    return ShipmentPage(
        items=[ShipmentRead.of(s) for s in found],
        next_cursor=next_cursor(found, more, created_at_and_id_of),
    )


@router.get("/shipments/{shipment_id}")
async def get_shipment(
    shipment_id: Annotated[str, Path(max_length=36)], uow: UnitOfWorkDep
) -> ShipmentRead:
    """One shipment."""
    shipment = await shipments.get_shipment(uow, shipment_id)
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id!r}")
    return ShipmentRead.of(shipment)


@router.post("/shipments/{shipment_id}/delivered", dependencies=WAREHOUSE_ONLY)
async def confirm_delivery(
    shipment_id: Annotated[str, Path(max_length=36)],
    body: DeliveryConfirmation,
    runtime: RuntimeDep,
) -> ShipmentRead:
    """The carrier delivered it: emits shipment.delivered. 409 when already delivered or for a
    time before it was shipped; 404 for an unknown shipment."""
    command = ConfirmDelivery(
        shipment_id=shipment_id,
        delivered_at=body.delivered_at,
        correlation_id=current_correlation_id(),
        actor=current_actor(),
    )
    return ShipmentRead.of(
        await change(runtime, lambda uow: shipments.confirm_delivery(uow, command))
    )
