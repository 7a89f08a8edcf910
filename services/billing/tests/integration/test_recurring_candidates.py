"""The recurring job's candidates on a real PostgreSQL: the open and concluded orders with a
schedule, found through the partial index on that condition, not a scan of every order billed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, text

from billing.adapters.billable_orders_repository import RECURRING_CANDIDATES, SqlBillableOrders
from billing.adapters.order_tables import billable_orders
from billing.entrypoints.cli import MIGRATIONS_DIR
from servicekit.testing import TemporaryDatabases, migrated_sessions, pages_touched, table_pages

SCHEDULE = {"frequency": "monthly", "start": "2026-01-15"}


def billable(status: str, recurring: Any, *, notes: str = "") -> dict[str, Any]:
    snapshot: dict[str, Any] = {"order_id": str(uuid.uuid4()), "notes": notes}
    if recurring is not ...:
        snapshot["recurring"] = recurring
    return {"order_id": snapshot["order_id"], "snapshot": snapshot, "status": status}


async def test_candidates_are_the_scheduled_orders_read_through_their_index(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "billing_recurring") as sessions:
        # Every order ever billed, nearly none of them recurring: without a key, with a null.
        history = [
            billable(status, recurring, notes="x" * 1500)
            for n in range(3_000)
            for status, recurring in [(("open", "concluded")[n % 2], ... if n % 3 else None)]
        ]
        scheduled = {
            status: billable(status, SCHEDULE) for status in ("open", "concluded", "draft")
        } | {"cancelled": billable("cancelled", SCHEDULE)}
        async with sessions() as session, session.begin():
            await session.execute(insert(billable_orders), [*history, *scheduled.values()])
        async with sessions() as session:
            await session.execute(text("ANALYZE billable_orders"))
            await session.commit()
            found = await SqlBillableOrders(session).recurring_candidates()
            connection = await session.connection()
            read = await pages_touched(connection, RECURRING_CANDIDATES)
            pages = await table_pages(connection, "billable_orders")

        assert found == sorted(scheduled[s]["order_id"] for s in ("open", "concluded"))
        assert pages > 200  # large enough that a scan would show
        assert read < pages / 20, (read, pages)
