"""Pieces of the events the inventory publishes (recorded through the unit of work)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from contracts import CloudEvent, EventType, new_event
from contracts.common import StockLine
from inventory.domain.model import tidy

SOURCE = "/inventory"


class Request(Protocol):
    """A command of a person: who asked, and the flow (request) it belongs to."""

    @property
    def correlation_id(self) -> str | None: ...

    @property
    def actor(self) -> str | None: ...


def command_event(
    event_type: EventType, data: BaseModel, *, subject: str, by: Request
) -> CloudEvent[Any]:
    """The event of a change `by` asked for, in its flow."""
    return new_event(
        event_type,
        data,
        source=SOURCE,
        subject=subject,
        correlation_id=by.correlation_id,
        actor=by.actor,
    )


def stock_lines(quantities: Mapping[str, Decimal]) -> list[StockLine]:
    return [StockLine(sku=sku, quantity=tidy(q)) for sku, q in sorted(quantities.items())]
