"""The sales gauges' totals (ADR 49), on a real PostgreSQL: kept by triggers as the read model's
rows change, folded in by the refresh, seeded by the migration from the rows already there, and
always equal to the sums over the rows themselves."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal as D
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orders.adapters.sales_figures import SqlSalesFigures
from orders.adapters.tables import sales_intake, sales_revenue, sales_total_changes
from orders.entrypoints.cli import MIGRATIONS_DIR
from servicekit.testing import TemporaryDatabases, migrated_sessions, migrated_up_to

BEFORE_TOTALS = "f3b9d1e5a726"  # the revision before the totals were kept
DAY = date(2026, 11, 30)


def intake(currency: str, net: str, *, cancelled: bool = False) -> dict[str, Any]:
    return {
        "order_id": str(uuid.uuid4()),
        "number": f"SO-{uuid.uuid4().hex[:8]}",
        "customer_id": str(uuid.uuid4()),
        "currency": currency,
        "confirmed_on": DAY,
        "net": D(net),
        "gross": D(net) * D("1.21"),
        "cancelled": cancelled,
    }


def revenue(kind: str, currency: str, net: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "document_id": str(uuid.uuid4()),
        "number": f"INV-{uuid.uuid4().hex[:8]}",
        "order_id": str(uuid.uuid4()),
        "customer_id": str(uuid.uuid4()),
        "currency": currency,
        "issued_on": DAY,
        "net": D(net),
        "gross": D(net) * D("1.21"),
    }


async def summed(session: AsyncSession) -> dict[str, dict[str, D]]:
    """The totals by their definition: sums over every row of the read model."""
    found: dict[str, dict[str, D]] = {}
    credited = func.coalesce(
        func.sum(-sales_revenue.c.net).filter(sales_revenue.c.kind == "credit_note"), 0
    )
    by_revenue = select(sales_revenue.c.currency, func.sum(sales_revenue.c.net), credited).group_by(
        sales_revenue.c.currency
    )
    for currency, net, credit in await session.execute(by_revenue):
        found.setdefault(currency, {}).update(revenue_net=net, credited_net=credit)
    by_intake = (
        select(sales_intake.c.currency, func.sum(sales_intake.c.net))
        .where(~sales_intake.c.cancelled)
        .group_by(sales_intake.c.currency)
    )
    for currency, net in await session.execute(by_intake):
        found.setdefault(currency, {})["intake_net"] = net
    return found


async def folded(sessions: async_sessionmaker[AsyncSession]) -> dict[str, dict[str, D]]:
    async with sessions() as session, session.begin():
        return await SqlSalesFigures(session).totals()


async def as_summed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, dict[str, D]]:
    """The folded totals, each checked against the sums (a total whose rows are all gone, or
    all cancelled, is kept at zero)."""
    totals = await folded(sessions)
    async with sessions() as session:
        expected = await summed(session)
    nonzero = {
        currency: {measure: amount for measure, amount in measures.items() if amount}
        for currency, measures in totals.items()
    }
    assert {c: m for c, m in nonzero.items() if m} == {
        currency: {measure: amount for measure, amount in measures.items() if amount}
        for currency, measures in expected.items()
        if any(measures.values())
    }
    return totals


async def test_the_totals_follow_every_change_of_the_rows(databases: TemporaryDatabases) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_totals") as sessions:
        assert await folded(sessions) == {}
        confirmed, revised = intake("EUR", "100"), intake("EUR", "40")
        cancelled = intake("EUR", "7")
        invoice, credit = revenue("invoice", "EUR", "90"), revenue("credit_note", "EUR", "-15")
        dollars = intake("USD", "12.5")
        async with sessions() as session, session.begin():
            await session.execute(insert(sales_intake), [confirmed, revised, cancelled, dollars])
            await session.execute(insert(sales_revenue), [invoice, credit])
        totals = await as_summed(sessions)
        assert totals["EUR"] == {
            "intake_net": D("147"),
            "revenue_net": D("75"),
            "credited_net": D("15"),
        }

        async with sessions() as session, session.begin():
            await session.execute(
                update(sales_intake)
                .where(sales_intake.c.order_id == revised["order_id"])
                .values(net=D("55.25"))
            )
            await session.execute(
                update(sales_intake)
                .where(sales_intake.c.order_id == cancelled["order_id"])
                .values(cancelled=True)
            )
            await session.execute(  # a change that moves no total
                update(sales_intake)
                .where(sales_intake.c.order_id == confirmed["order_id"])
                .values(number="SO-RENUMBERED")
            )
            await session.execute(
                update(sales_intake)
                .where(sales_intake.c.order_id == dollars["order_id"])
                .values(currency="GBP")
            )
        totals = await as_summed(sessions)
        assert totals["EUR"]["intake_net"] == D("155.25")
        assert (totals["USD"]["intake_net"], totals["GBP"]["intake_net"]) == (0, D("12.5"))
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(sales_total_changes)) == 0

        # A rebuild empties the tables (and replays the events): the totals go with the rows.
        async with sessions() as session, session.begin():
            await session.execute(delete(sales_intake))
            await session.execute(delete(sales_revenue).where(sales_revenue.c.kind == "invoice"))
        totals = await as_summed(sessions)
        assert totals["EUR"] == {
            "intake_net": D(0),
            "revenue_net": D("-15"),
            "credited_net": D("15"),
        }


async def test_a_truncated_table_takes_its_totals_with_it(databases: TemporaryDatabases) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_totals_truncate") as sessions:
        async with sessions() as session, session.begin():
            await session.execute(insert(sales_intake), [intake("EUR", "100")])
            await session.execute(
                insert(sales_revenue),
                [revenue("invoice", "EUR", "90"), revenue("credit_note", "EUR", "-15")],
            )
        await as_summed(sessions)  # folded: the totals hold them
        async with sessions() as session, session.begin():
            # changes not folded yet, then the truncation in the same transaction
            await session.execute(insert(sales_intake), [intake("EUR", "7"), intake("USD", "3")])
            await session.execute(text("TRUNCATE sales_intake"))
            await session.execute(insert(sales_intake), [intake("EUR", "2.5")])
        totals = await as_summed(sessions)
        assert totals["EUR"] == {
            "intake_net": D("2.5"),
            "revenue_net": D("75"),
            "credited_net": D("15"),
        }
        assert "USD" not in totals  # its change was dropped before any fold

        async with sessions() as session, session.begin():
            await session.execute(text("TRUNCATE sales_revenue"))
        totals = await as_summed(sessions)
        assert totals["EUR"] == {
            "intake_net": D("2.5"),
            "revenue_net": D(0),
            "credited_net": D(0),
        }


async def test_folds_running_at_once_count_each_change_once(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_totals_race") as sessions:
        for round_ in range(5):
            async with sessions() as session, session.begin():
                rows = [intake("EUR", "1.01") for _ in range(40)]
                await session.execute(insert(sales_intake), rows)
            await asyncio.gather(*(folded(sessions) for _ in range(4)))
            totals = await as_summed(sessions)
            assert totals["EUR"]["intake_net"] == D("40.40") * (round_ + 1)


async def test_the_migration_seeds_the_totals_from_the_rows_already_there(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_up_to(
        databases, MIGRATIONS_DIR, "orders_totals_seed", BEFORE_TOTALS
    ) as database:
        sessions = database.sessions
        async with sessions() as session, session.begin():
            await session.execute(
                insert(sales_intake), [intake("EUR", "30"), intake("EUR", "5", cancelled=True)]
            )
            await session.execute(
                insert(sales_revenue),
                [revenue("invoice", "SEK", "1000"), revenue("credit_note", "SEK", "-250")],
            )
        await database.to_head()
        async with sessions() as session, session.begin():
            await session.execute(insert(sales_intake), [intake("EUR", "0.5")])
        assert await as_summed(sessions) == {
            "EUR": {"intake_net": D("30.5")},
            "SEK": {"revenue_net": D("750"), "credited_net": D("250")},
        }
