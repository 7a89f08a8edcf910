"""Orders submitted by other systems, a consumed batch at a time, on a real PostgreSQL: what the
batch reads and takes first (which references are taken, the customers of the e-mails, the
items the lines name, the new orders' numbers) gives each submission what it would have found
on its own, whatever the batch's earlier ones wrote."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, new_event
from contracts.events import OrderSubmitted
from orders.adapters.batch_reads import read_orders_of
from orders.adapters.tables import customers, orders
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.catalogue import CatalogueItem
from orders.domain.errors import InvalidOrder
from orders.domain.order import OrderStatus
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.service_layer.inbound import submit_order
from servicekit.db import NUMBERING_ENGINE_INFO
from servicekit.testing import TemporaryDatabases, migrated_sessions, statements_sent


def submission(
    reference: str,
    email: str,
    name: str = "Webshop Customer",
    *,
    sku: str = "BOLT",
    confirm: bool = False,
) -> CloudEvent[Any]:
    payload = OrderSubmitted.model_validate(
        {
            "external_reference": reference,
            "customer": {"name": name, "email": email},
            "currency": "EUR",
            "lines": [{"sku": sku, "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
            "confirm": confirm,
        }
    )
    return new_event(EventType.ORDER_SUBMITTED, payload, source="/webshop", subject=reference)


async def handled_as_a_batch(
    sessions: async_sessionmaker[AsyncSession],
    events: list[CloudEvent[Any]],
    *,
    catalogue_required: bool = False,
) -> list[str | None]:
    """As the consumer handles a batch: one transaction, the batch's reads, then each handler."""
    numbers: list[str | None] = []
    async with sessions() as session, session.begin():
        await read_orders_of(session, events)
        for each in events:
            uow = SqlUnitOfWork(session, catalogue_required=catalogue_required)
            order = await submit_order(uow, each)
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
        for each in events:  # each in a transaction of its own, nothing read first
            async with sessions() as session, session.begin():
                order = await submit_order(SqlUnitOfWork(session, catalogue_required=False), each)
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


async def test_a_batch_reads_its_customers_and_items_and_takes_its_numbers_before_its_handlers(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_submitted_ahead") as sessions:
        run = uuid.uuid4().hex[:8]
        known, bolt = f"known-{run}@example.com", f"BOLT-{run}"
        async with sessions() as session, session.begin():  # a customer and an item from before
            uow = SqlUnitOfWork(session)
            await uow.catalogue.put(CatalogueItem(sku=bolt, name="Bolt", kind="product"))
            await submit_order(uow, submission(f"OLD-{run}", known, sku=bolt))
        events = [
            submission(f"A-{run}", known, sku=bolt),
            submission(f"B-{run}", known.upper(), sku=bolt),
            submission(f"OLD-{run}", known, sku=bolt),  # taken before: no order, no number
            submission(f"C-{run}", known, sku=bolt),
        ]

        async with sessions() as session, session.begin():
            numbering = session.info[NUMBERING_ENGINE_INFO]
            with (
                statements_sent(session.get_bind()) as sent,
                statements_sent(numbering.sync_engine) as numbers_taken,
            ):
                await read_orders_of(session, events)
                created = [await submit_order(SqlUnitOfWork(session), e) for e in events]
        # The references, the customers and the items: one statement each, for the batch.
        reads = [s for s in sent if "FROM customers" in s or "FROM catalogue_items" in s]
        assert len(reads) == 2, reads
        assert len(numbers_taken) == 1, numbers_taken  # the three new orders' numbers together
        made = [order for order in created if order is not None]
        assert [order.external_reference for order in made] == [f"{r}-{run}" for r in "ABC"]
        sequences = [int(order.number.rsplit("-", 1)[1]) for order in made]
        assert sequences == list(range(sequences[0], sequences[0] + 3))
        async with sessions() as session:
            customer_id = await session.scalar(
                select(customers.c.id).where(customers.c.email == known)
            )
        assert {order.customer_id for order in made} == {customer_id}
        assert all(order.lines[0].unit_price == Decimal("9.99") for order in made)

        # An item no catalogue has is refused as it is alone, though the batch read it first.
        unknown = [
            submission(f"D-{run}", known, sku=bolt),
            submission(f"E-{run}", known, sku="NONE"),
        ]
        with pytest.raises(InvalidOrder, match="NONE"):
            await handled_as_a_batch(sessions, unknown, catalogue_required=True)


async def test_a_submitted_order_confirmed_at_once_is_stored_confirmed_and_not_read_again(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_submitted_confirm") as sessions:
        run = uuid.uuid4().hex[:8]
        events = [
            submission(f"{r}-{run}", f"c-{run}@example.com", confirm=True) for r in ("A", "B")
        ]
        async with sessions() as session, session.begin():
            with statements_sent(session.get_bind()) as sent:
                await read_orders_of(session, events)
                confirmed = [
                    await submit_order(SqlUnitOfWork(session, catalogue_required=False), each)
                    for each in events
                ]
        # Created, then confirmed as created: the batch's look-up of its references is the one
        # statement that reads orders.
        reads = [s for s in sent if s.lstrip().startswith("SELECT") and "FROM orders" in s]
        assert len(reads) == 1, reads
        # Stored confirmed: each header written once, not inserted as a draft and then updated.
        updates = [s for s in sent if "UPDATE orders " in s]
        assert updates == []
        inserts = [s for s in sent if "INSERT INTO orders " in s]
        assert len(inserts) == 2, inserts
        for order in confirmed:
            assert order is not None
            async with sessions() as session:
                stored = await SqlUnitOfWork(session).orders.get(order.id)
            assert stored == order
            assert stored.status is OrderStatus.OPEN
