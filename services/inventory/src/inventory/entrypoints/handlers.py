"""Handlers of the events the inventory consumes (run by the kit: inbox, retries, dead letters).

The kit parses each event into the payload model of its type, so a handler receives exactly
the event it is registered for.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import OrderCancelled, OrderClosedShort, OrderConfirmed, OrderRevised
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.service_layer import reservations, revisions


async def handle_order_confirmed(event: CloudEvent[OrderConfirmed], session: AsyncSession) -> None:
    """Reserve the order's stocked lines all-or-none, or backorder it."""
    await reservations.reserve_order(SqlUnitOfWork(session), event)


async def handle_order_cancelled(event: CloudEvent[OrderCancelled], session: AsyncSession) -> None:
    """Release what the order still holds and drop its backorder."""
    await reservations.release_order(SqlUnitOfWork(session), event)


async def handle_order_closed_short(
    event: CloudEvent[OrderClosedShort], session: AsyncSession
) -> None:
    """Release the remainder the order still holds; answer with stock.released (always)."""
    await reservations.release_order(SqlUnitOfWork(session), event)


async def handle_order_revised(event: CloudEvent[OrderRevised], session: AsyncSession) -> None:
    """Reserve or release the difference a revision of the order makes."""
    await revisions.revise_reservation(SqlUnitOfWork(session), event)
