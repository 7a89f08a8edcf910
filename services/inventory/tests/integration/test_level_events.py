"""stock.level_changed once per SKU and warehouse per transaction, on a migrated PostgreSQL
database: a consumer's batch that reserves the same product for several orders publishes the
level it commits once, not one level per reservation."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from purchasing_builders import confirmed
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import EventType
from inventory.adapters.tables import metadata
from inventory.adapters.transaction import in_transaction
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.domain.commands import AdjustStock
from inventory.domain.model import AdjustmentKind, ItemKind
from inventory.domain.purchasing import ReorderPoint
from inventory.entrypoints.cli import MIGRATIONS_DIR
from inventory.service_layer import reservations, stock
from servicekit.testing import TemporaryDatabases, migrated_sessions

outbox = metadata.tables["outbox"]


@pytest.fixture
async def sessions(
    databases: TemporaryDatabases,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "inventory_levels") as made:
        yield made


async def events_of(sessions: async_sessionmaker[AsyncSession], sku: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        payloads = await session.execute(
            select(outbox.c.payload).where(outbox.c.key == sku).order_by(outbox.c.id)
        )
        return [json.loads(payload) for payload in payloads.scalars()]


async def test_a_batch_of_reservations_publishes_the_level_it_commits_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sku = f"LV-{uuid.uuid4().hex[:8].upper()}"

    async def receive(session: AsyncSession) -> None:
        uow = SqlUnitOfWork(session)
        await uow.products.add(sku=sku, name=sku, kind=ItemKind.PRODUCT, description=None)
        await uow.reorder_points.set(ReorderPoint(sku, Decimal(5), Decimal(10)))
        receipt = AdjustStock(
            sku=sku, kind=AdjustmentKind.RECEIPT, quantity=Decimal(10), reason="delivery"
        )
        await stock.adjust_stock(uow, receipt)

    async def reserve_three_orders(session: AsyncSession) -> None:
        # As a consumer's batch does: one unit of work per event, one transaction for all.
        for quantity in ("3", "4", "1"):
            order = confirmed(str(uuid.uuid4()), sku, quantity)
            await reservations.reserve_order(SqlUnitOfWork(session), order)

    await in_transaction(sessions, receive)
    await in_transaction(sessions, reserve_three_orders)

    events = await events_of(sessions, sku)
    levels = [e for e in events if e["type"] == EventType.STOCK_LEVEL_CHANGED]
    assert [(e["data"]["reserved"], e["data"]["available"]) for e in levels] == [
        ("0", "10"),  # the receipt
        ("8", "2"),  # the three reservations, at their commit
    ]
    lows = [e for e in events if e["type"] == EventType.STOCK_LOW]
    assert [e["data"]["available"] for e in lows] == ["2"]  # once, though each one went lower
    # Numbered per SKU in the order they were written: the level after the reservations' own
    # events, as the transaction's last word on the SKU.
    sequences = [int(e["sequence"]) for e in events]
    assert sequences == sorted(sequences)
    assert events[-2:] == [levels[-1], lows[0]]
