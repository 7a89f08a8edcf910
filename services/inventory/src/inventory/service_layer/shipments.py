"""Use cases of shipments: reserved stock leaves the warehouse for an order."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import EventType, new_event
from contracts.common import StockLine
from contracts.events import ShipmentDispatched
from inventory.adapters import repository
from inventory.adapters.tables import shipment_lines, shipments
from inventory.domain.model import MAIN_WAREHOUSE, MovementKind, aggregate, ship, tidy
from inventory.service_layer.messages import SOURCE, emit


@dataclass(frozen=True)
class Shipment:
    id: str
    order_id: str
    lines: dict[str, Decimal]
    fully_shipped: bool
    created_at: datetime


async def dispatch_shipment(
    session: AsyncSession,
    *,
    order_id: str,
    lines: Iterable[tuple[str, Decimal]],
    correlation_id: str | None = None,
    actor: str | None = None,
) -> Shipment:
    """Ship part or all of what an order has reserved; emits shipment.dispatched.

    Refused (ShipmentExceedsReservation) when a SKU exceeds what is reserved and not yet
    shipped for the order; nothing changes then.
    """
    requested = aggregate(lines)
    levels = await repository.lock_levels(session, requested)
    held = await repository.load_lines(session, order_id, for_update=True)
    plan = ship(requested, held, levels)

    shipment_id = str(uuid.uuid4())
    created_at = (
        await session.execute(
            shipments.insert()
            .values(
                id=shipment_id,
                order_id=order_id,
                warehouse=MAIN_WAREHOUSE,
                fully_shipped=plan.fully_shipped,
            )
            .returning(shipments.c.created_at)
        )
    ).scalar_one()
    await session.execute(
        shipment_lines.insert(),
        [{"shipment_id": shipment_id, "sku": sku, "quantity": q} for sku, q in plan.lines.items()],
    )
    for sku, amount in plan.lines.items():
        await repository.save_line(session, held[sku])
        await repository.save_level(session, levels[sku])
        await repository.add_movement(
            session,
            levels[sku],
            MovementKind.SHIPMENT,
            on_hand_change=-amount,
            reserved_change=-amount,
            reference=shipment_id,
            order_id=order_id,
            reason=f"shipment {shipment_id} of order {order_id}",
        )
    event = new_event(
        EventType.SHIPMENT_DISPATCHED,
        ShipmentDispatched(
            order_id=order_id,
            shipment_id=shipment_id,
            lines=[StockLine(sku=sku, quantity=tidy(q)) for sku, q in plan.lines.items()],
            fully_shipped=plan.fully_shipped,
        ),
        source=SOURCE,
        subject=order_id,
        correlation_id=correlation_id,
        actor=actor,
    )
    await emit(session, event)
    return Shipment(
        id=shipment_id,
        order_id=order_id,
        lines=plan.lines,
        fully_shipped=plan.fully_shipped,
        created_at=created_at,
    )


async def _with_lines(session: AsyncSession, rows: list[Any]) -> list[Shipment]:
    ids = [row.id for row in rows]
    lines: dict[str, dict[str, Decimal]] = {shipment_id: {} for shipment_id in ids}
    if ids:
        for shipment_id, sku, amount in (
            await session.execute(
                select(
                    shipment_lines.c.shipment_id, shipment_lines.c.sku, shipment_lines.c.quantity
                )
                .where(shipment_lines.c.shipment_id.in_(ids))
                .order_by(shipment_lines.c.shipment_id, shipment_lines.c.sku)
            )
        ).all():
            lines[shipment_id][sku] = amount
    return [
        Shipment(
            id=row.id,
            order_id=row.order_id,
            lines=lines[row.id],
            fully_shipped=row.fully_shipped,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def get_shipment(session: AsyncSession, shipment_id: str) -> Shipment | None:
    row = (await session.execute(select(shipments).where(shipments.c.id == shipment_id))).first()
    if row is None:
        return None
    return (await _with_lines(session, [row]))[0]


async def list_shipments(
    session: AsyncSession,
    *,
    limit: int,
    order_id: str | None = None,
    after: tuple[datetime, str] | None = None,
) -> tuple[list[Shipment], bool]:
    """Shipments oldest first (by creation time, then id); returns the page and whether more."""
    query = select(shipments).order_by(shipments.c.created_at, shipments.c.id).limit(limit + 1)
    if order_id is not None:
        query = query.where(shipments.c.order_id == order_id)
    if after is not None:
        query = query.where(tuple_(shipments.c.created_at, shipments.c.id) > tuple_(*after))
    rows = list((await session.execute(query)).all())
    return await _with_lines(session, rows[:limit]), len(rows) > limit
