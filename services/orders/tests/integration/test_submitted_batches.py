"""Orders submitted by other systems, a consumed batch at a time, on a real PostgreSQL: what the
batch reads first (which references are taken, the customers of the e-mails) gives each
submission what it would have found on its own, whatever the batch's earlier ones wrote."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderSubmitted
from orders.adapters.batch_reads import read_orders_of
from orders.adapters.tables import customers, orders
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.service_layer.inbound import submit_order
from servicekit.testing import TemporaryDatabases, migrated_sessions


def submission(reference: str, email: str, name: str = "Webshop Customer") -> CloudEvent[Any]:
    payload = OrderSubmitted.model_validate(
        {
            "external_reference": reference,
            "customer": {"name": name, "email": email},
            "currency": "EUR",
            "lines": [{"sku": "BOLT", "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
        }
    )
    return new_event(EventType.ORDER_SUBMITTED, payload, source="/webshop", subject=reference)


async def handled_as_a_batch(
    sessions: async_sessionmaker[AsyncSession], events: list[CloudEvent[Any]]
) -> list[str | None]:
    """As the consumer handles a batch: one transaction, the batch's reads, then each handler."""
    numbers: list[str | None] = []
    async with sessions() as session, session.begin():
        await read_orders_of(session, events)
        for event in events:
            order = await submit_order(SqlUnitOfWork(session, catalogue_required=False), event)
            numbers.append(None if order is None else order.number)
    return numbers


async def test_a_batch_of_submissions_makes_one_order_a_reference_and_one_customer_an_email(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_submitted") as sessions:
        run = uuid.uuid4().hex[:8]
        known = f"known-{run}@example.com"
        async with sessions() as session, session.begin():  # a customer from before
            await submit_order(
                SqlUnitOfWork(session, catalogue_required=False),
                submission(f"OLD-{run}", known.upper(), "Known Customer"),
            )

        new = f"new-{run}@example.com"
        numbers = await handled_as_a_batch(
            sessions,
            [
                submission(f"A-{run}", new),
                submission(f"B-{run}", new.upper()),  # the customer the first one created
                submission(f"A-{run}", new),  # the same order again: nothing new
                submission(f"C-{run}", known, "Another Name"),  # known before the batch
                submission(f"OLD-{run}", known),  # taken before the batch
            ],
        )
        assert [n is not None for n in numbers] == [True, True, False, True, False]

        async with sessions() as session:
            by_reference = dict(
                (
                    await session.execute(
                        select(orders.c.external_reference, orders.c.customer_id).where(
                            orders.c.external_reference.like(f"%-{run}")
                        )
                    )
                ).all()
            )
            named = (
                await session.execute(
                    select(func.lower(customers.c.email), func.count()).group_by(
                        func.lower(customers.c.email)
                    )
                )
            ).all()
        assert sorted(by_reference) == [f"A-{run}", f"B-{run}", f"C-{run}", f"OLD-{run}"]
        assert by_reference[f"A-{run}"] == by_reference[f"B-{run}"]
        assert by_reference[f"C-{run}"] == by_reference[f"OLD-{run}"]
        assert by_reference[f"A-{run}"] != by_reference[f"C-{run}"]
        assert dict(named) == {new: 1, known: 1}


async def test_a_batch_read_ahead_finds_what_its_handlers_would_find_alone(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_submitted_alone") as sessions:
        run = uuid.uuid4().hex[:8]
        events = [submission(f"R{i}-{run}", f"c{i % 2}-{run}@example.com") for i in range(4)]
        events.append(submission(f"R0-{run}", f"c0-{run}@example.com"))
        alone: list[str | None] = []
        for event in events:  # each in a transaction of its own, nothing read first
            async with sessions() as session, session.begin():
                order = await submit_order(SqlUnitOfWork(session, catalogue_required=False), event)
                alone.append(None if order is None else order.external_reference)
        assert alone == [f"R{i}-{run}" for i in range(4)] + [None]

        again = [submission(f"S{i}-{run}", f"c{i % 2}-{run}@example.com") for i in range(3)]
        together = await handled_as_a_batch(sessions, [*events, *again])
        assert together[:5] == [None] * 5  # every reference taken already
        assert all(n is not None for n in together[5:])
        async with sessions() as session:
            customers_of_run = (
                await session.execute(
                    select(func.count()).where(customers.c.email.like(f"%-{run}@example.com"))
                )
            ).scalar()
        assert customers_of_run == 2
