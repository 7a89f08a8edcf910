"""Pieces of the events the inventory publishes (recorded through the unit of work)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from contracts import CloudEvent, EventType, new_event
from contracts.common import StockLine
from contracts.events import StockLevelChanged, StockLow
from inventory.domain.model import StockLevel, tidy
from inventory.domain.purchasing import ReorderPoint
from inventory.service_layer.ports import UnitOfWork

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


async def record_level(uow: UnitOfWork, level: StockLevel) -> None:
    """Record stock.level_changed for the SKU in the warehouse, once per transaction however
    many movements it makes there: at its commit, with the level it commits (keyed by SKU, so
    the levels of one SKU reach consumers in the order they were committed). And stock.low when
    available has just dropped below the product's reorder point."""
    sku, warehouse = level.sku, level.warehouse

    async def record_committed_level() -> None:
        # Read again: the transaction may have moved it since, or undone a move (a savepoint).
        committed = await uow.stock.get_with_point(sku, warehouse)
        if committed is not None:
            await _record_level_now(uow, *committed)

    await uow.at_commit(f"stock.level_changed {sku} {warehouse}", record_committed_level)


async def _record_level_now(uow: UnitOfWork, level: StockLevel, point: ReorderPoint | None) -> None:
    payload = StockLevelChanged(
        sku=level.sku,
        warehouse=level.warehouse,
        on_hand=tidy(level.on_hand),
        reserved=tidy(level.reserved),
        available=tidy(level.available),
    )
    event = new_event(EventType.STOCK_LEVEL_CHANGED, payload, source=SOURCE, subject=level.sku)
    await uow.record(event, key=level.sku)
    if point is not None and await uow.stock.dropped_below_reorder_point(level, point):
        low = StockLow(
            sku=level.sku,
            warehouse=level.warehouse,
            on_hand=tidy(level.on_hand),
            reserved=tidy(level.reserved),
            available=tidy(level.available),
            reorder_point=tidy(point.reorder_point),
            reorder_quantity=tidy(point.reorder_quantity),
        )
        alert = new_event(EventType.STOCK_LOW, low, source=SOURCE, subject=level.sku)
        await uow.record(alert, key=level.sku)
