"""The events of this service: their source, the clock they are stamped with, their shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from contracts import CloudEvent, EventType, new_event
from orders.domain.order import Order

SOURCE = "/orders"


def utcnow() -> datetime:
    return datetime.now(UTC)


def order_event(
    event_type: EventType,
    payload: BaseModel,
    order: Order,
    *,
    correlation_id: str | None,
    cause: CloudEvent[Any] | None,
) -> CloudEvent[Any]:
    """An event about the order: caused by `cause` when one is given, else a new chain."""
    if cause is not None:
        return cause.caused(event_type, payload, source=SOURCE, subject=order.id)
    return new_event(
        event_type, payload, source=SOURCE, subject=order.id, correlation_id=correlation_id
    )
