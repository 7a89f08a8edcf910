"""The events of this service: their source, the clock they are stamped with, their shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from contracts import CloudEvent, EventType, new_event
from orders.domain.order import Order
from orders.service_layer.unit_of_work import UnitOfWork

SOURCE = "/orders"


def utcnow() -> datetime:
    return datetime.now(UTC)


async def record_order_event(
    uow: UnitOfWork,
    order: Order,
    event_type: EventType,
    payload: BaseModel,
    *,
    summary: str,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None = None,
    save: bool = False,
    add: bool = False,
) -> None:
    """Record an event about the order (outbox and timeline): caused by `cause` when one is
    given, else the start of a new chain. `save`: save the order's header with it; `add`: add
    the new order with it (either in one round trip where the store can)."""
    if cause is not None:
        event = cause.caused(event_type, payload, source=SOURCE, subject=order.id)
    else:
        event = new_event(
            event_type, payload, source=SOURCE, subject=order.id, correlation_id=correlation_id
        )
    await uow.record(
        event,
        order_id=order.id,
        summary=summary,
        saving=order if save else None,
        adding=order if add else None,
    )
