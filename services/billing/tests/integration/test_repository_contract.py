"""One contract for the storage ports: every case runs on the in-memory fake of the unit tests
and on the SQL adapters against a migrated PostgreSQL database, so the fake cannot drift.

Cases commit real transactions (numbers and creation times depend on them); the SQL database is
emptied before each case, as a fresh fake is.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any, Protocol

import pytest
from billing_fakes import FakeUnitOfWork
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from billing.adapters.tables import metadata
from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import (
    Address,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentTerms,
    Totals,
)
from billing.domain.schedules import Pause, Schedule, ScheduleStatus
from billing.entrypoints.cli import MIGRATIONS_DIR
from billing.service_layer.down_payments import MarkedKind
from billing.service_layer.events import SOURCE, invoice_issued
from billing.service_layer.order_invoicing import BillableOrder
from billing.service_layer.unit_of_work import InvoiceFilter, Position, UnitOfWork
from contracts import CloudEvent, EventType, new_event
from servicekit.testing import contract_sessions_fixture, statements_sent


class Storage(Protocol):
    """Where the units of work of a case keep their state."""

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work whose changes commit when the block ends, or roll back if it raises."""
        ...

    async def recorded(self) -> list[str]:
        """The ids of the events recorded so far, in order."""
        ...


class FakeStorage:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.uow.transaction()

    async def recorded(self) -> list[str]:
        return [event.id for event in self.uow.events]


class SqlStorage:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self.sessions() as session, session.begin():
            yield SqlUnitOfWork(session)

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._transaction()

    async def recorded(self) -> list[str]:
        outbox = metadata.tables["outbox"]
        async with self.sessions() as session:
            rows = await session.execute(select(outbox.c.event_id).order_by(outbox.c.id))
            return list(rows.scalars())


contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "billing_contract")


@pytest.fixture(params=["fake", "sql"])
async def storage(
    request: pytest.FixtureRequest, contract_sessions: async_sessionmaker[AsyncSession]
) -> Storage:
    if request.param == "fake":
        return FakeStorage()
    async with contract_sessions() as session, session.begin():
        await session.execute(
            text(
                "TRUNCATE invoices, invoice_lines, invoice_taxes, payments, "
                "invoice_number_counters, outbox, customer_payments, refunds, refund_parts "
                "CASCADE"  # and every table that refers to these
            )
        )
    return SqlStorage(contract_sessions)


class Rollback(Exception):
    """Raised to leave a transaction the way a failed use case does."""


async def rolled_back(storage: Storage, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
    """Run `work` in a transaction that then fails, as a use case raising half-way does."""

    async def then_fail() -> None:
        async with storage.transaction() as uow:
            await work(uow)
            raise Rollback

    with pytest.raises(Rollback):
        await then_fail()


_numbers = itertools.count(1)


def an_invoice(*, customer_id: str = "cust-1", order_id: str | None = None) -> Invoice:
    """An invoice as the use case builds it: two tax rates, a discount, a fractional quantity."""
    # sku, quantity, unit price, discount %, tax rate %
    stated = [("BOLT-M8", "10", "2.50", "0", "21"), ("CABLE-3X1.5", "12.5", "1.99", "7.5", "10")]
    lines = [
        InvoiceLine.priced(
            line_no=no,
            sku=sku,
            description=f"Item {sku}",
            quantity=D(quantity),
            unit_price=D(price),
            discount_percent=D(discount),
            tax_rate=D(rate),
        )
        for no, (sku, quantity, price, discount, rate) in enumerate(stated, start=1)
    ]
    issued = date(2025, 3, 10)
    head_office = Address(line1="Calle Mayor 1", postal_code="28013", city="Madrid", country="ES")
    terms = PaymentTerms(days=14, text="Net 14 days")
    return Invoice(
        id=str(uuid.uuid4()),
        number=f"INV-2025-{next(_numbers):06d}",
        order_id=order_id or str(uuid.uuid4()),
        order_number="SO-2025-000042",
        customer=Customer(id=customer_id, name="Ромашка Trading, S.L.", email=None),
        billing_address=head_office,
        shipping_address=replace(head_office, name="Warehouse", line2="Nave 7", region="Madrid"),
        currency="EUR",
        issue_date=issued,
        due_date=terms.due_date(issued),
        payment_terms=terms,
        customer_reference="PO-4711",
        opening_text="Thank you for your order.",
        closing_text=None,
        lines=lines,
        totals=Totals.of(lines),
    )


async def stored(storage: Storage, *invoices: Invoice) -> None:
    """Each invoice added in a transaction of its own, as each completed order is."""
    for invoice in invoices:
        async with storage.transaction() as uow:
            await uow.invoices.add(invoice)


def issued(invoice: Invoice) -> CloudEvent[Any]:
    return new_event(
        EventType.INVOICE_ISSUED,
        invoice_issued(invoice),
        source=SOURCE,
        subject=invoice.order_id,
    )


def a_payment(amount: str, reference: str | None = None) -> Payment:
    payment_id = str(uuid.uuid4())
    return Payment(
        id=payment_id,
        payment_id=payment_id,  # recorded on one invoice: a customer payment of its own
        amount=D(amount),
        received_at=datetime(2025, 3, 12, 9, 30, tzinfo=UTC),
        method=PaymentMethod.CARD,
        reference=reference,
    )


async def test_an_added_invoice_reads_back_whole(storage: Storage) -> None:
    invoice = an_invoice()
    async with storage.transaction() as uow:
        await uow.invoices.add(invoice)
        assert invoice.created_at is not None  # the store says when it was created

    async with storage.transaction() as uow:
        assert await uow.invoices.get(invoice.id) == invoice
        assert await uow.invoices.get(invoice.id, for_update=True) == invoice
        assert await uow.invoices.get(str(uuid.uuid4())) is None


async def test_an_invoice_its_lines_and_its_taxes_are_added_in_one_statement(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    invoice = an_invoice()
    async with contract_sessions() as session, session.begin():
        with statements_sent(session.get_bind()) as sent:
            await SqlUnitOfWork(session).invoices.add(invoice)
        assert len(sent) == 1, sent
        read = await SqlUnitOfWork(session).invoices.get(invoice.id)
        assert read == invoice  # two lines, two tax rates
        await session.rollback()


async def test_an_invoice_and_its_event_are_issued_in_one_statement(
    contract_sessions: async_sessionmaker[AsyncSession],
) -> None:
    invoice = an_invoice()
    event = new_event(
        EventType.INVOICE_ISSUED, invoice_issued(invoice), source=SOURCE, subject=invoice.order_id
    )
    async with contract_sessions() as session, session.begin():
        uow = SqlUnitOfWork(session)
        with statements_sent(session.get_bind()) as sent:
            await uow.issue(invoice, event)
        assert len(sent) == 1, sent  # the invoice, lines, taxes, the numbered event
        assert "pg_notify" not in sent[0]  # the relay is woken after the commit (ADR 45)
        assert invoice.created_at is not None
        assert await uow.invoices.get(invoice.id) == invoice
        outbox = uow.outbox
        rows = await session.execute(
            select(outbox.c.event_id, outbox.c.key, outbox.c.payload).where(
                outbox.c.key == invoice.order_id
            )
        )
        ((event_id, key, payload),) = rows.all()
        assert (event_id, key) == (event.id, invoice.order_id)
        assert CloudEvent.model_validate_json(payload).sequence == 1  # numbered in the statement
        await session.rollback()


async def test_lock_says_whether_the_invoice_exists(storage: Storage) -> None:
    invoice = an_invoice()
    await stored(storage, invoice)
    async with storage.transaction() as uow:
        assert await uow.invoices.lock(invoice.id) is True
        assert await uow.invoices.lock(str(uuid.uuid4())) is False


async def test_for_order_finds_the_one_invoice_of_an_order(storage: Storage) -> None:
    invoice, other = an_invoice(), an_invoice()
    await stored(storage, invoice, other)
    async with storage.transaction() as uow:
        assert await uow.invoices.for_order(invoice.order_id) == invoice
        assert await uow.invoices.for_order(str(uuid.uuid4())) is None


async def test_numbers_are_gapless_per_year_even_after_a_rollback(storage: Storage) -> None:
    async with storage.transaction() as uow:
        assert await uow.invoices.next_sequence(2025) == 1
    taken: list[int] = []

    async def take_one(uow: UnitOfWork) -> None:
        taken.append(await uow.invoices.next_sequence(2025))

    await rolled_back(storage, take_one)
    assert taken == [2]
    async with storage.transaction() as uow:
        assert await uow.invoices.next_sequence(2025) == 2  # the rolled-back number, again
        assert await uow.invoices.next_sequence(2026) == 1  # each year counts from 1
        assert await uow.invoices.next_sequence(2025) == 3


async def test_a_rolled_back_transaction_leaves_no_invoice_and_no_event(
    storage: Storage,
) -> None:
    invoice = an_invoice()

    async def issue(uow: UnitOfWork) -> None:
        await uow.invoices.add(invoice)
        await uow.record(issued(invoice))

    await rolled_back(storage, issue)
    async with storage.transaction() as uow:
        assert await uow.invoices.get(invoice.id) is None
        assert await uow.invoices.for_order(invoice.order_id) is None
    assert await storage.recorded() == []


async def test_recorded_events_commit_with_the_transaction(storage: Storage) -> None:
    invoice = an_invoice()
    first, second = issued(invoice), issued(invoice)
    async with storage.transaction() as uow:
        await uow.invoices.add(invoice)
        await uow.record(first)
        await uow.record(second)
    assert await storage.recorded() == [first.id, second.id]


async def test_add_payment_stores_the_payment_the_paid_total_and_the_status(
    storage: Storage,
) -> None:
    invoice = an_invoice()
    await stored(storage, invoice)
    gross = invoice.totals.gross
    payments = [a_payment("10.00", "wire 1"), a_payment(str(gross - D("10.00")))]
    expected = [(InvoiceStatus.PARTIALLY_PAID, D("10.00")), (InvoiceStatus.PAID, gross)]
    for payment, (status, paid_total) in zip(payments, expected, strict=True):
        async with storage.transaction() as uow:
            current = await uow.invoices.get(invoice.id, for_update=True)
            assert current is not None
            current.receive(payment)
            await uow.invoices.add_payment(current, payment)
        async with storage.transaction() as uow:
            after = await uow.invoices.get(invoice.id)
            assert after is not None
            assert (after.status, after.paid_total) == (status, paid_total)

    async with storage.transaction() as uow:
        found = await uow.invoices.get(invoice.id)
    assert found is not None
    assert found.payments == payments
    assert found.balance == 0
    # Only the payment and the balance changed: the invoice is otherwise as it was issued.
    assert (found.lines, found.totals, found.number) == (
        invoice.lines,
        invoice.totals,
        invoice.number,
    )


async def test_search_pages_newest_first_and_filters(storage: Storage) -> None:
    invoices = [an_invoice(customer_id="c1" if n % 2 else "c2") for n in range(5)]
    await stored(storage, *invoices)
    paid = invoices[1]
    async with storage.transaction() as uow:
        current = await uow.invoices.get(paid.id, for_update=True)
        assert current is not None
        payment = a_payment("1.00")
        current.receive(payment)
        await uow.invoices.add_payment(current, payment)

    newest_first = sorted(invoices, key=lambda i: (i.created_at, i.id), reverse=True)
    everything = InvoiceFilter()
    pages: list[list[str]] = []
    after: Position | None = None
    async with storage.transaction() as uow:
        for _ in range(len(invoices)):  # bounded: a cursor that never moves must fail, not hang
            page = await uow.invoices.search(everything, limit=2, after=after)
            if not page:
                break
            pages.append([i.id for i in page])
            last = page[-1]
            assert last.created_at is not None
            after = Position(created_at=last.created_at, id=last.id)

        ids = [i.id for i in newest_first]
        assert pages == [ids[0:2], ids[2:4], ids[4:5]]
        assert [i.id for i in await uow.invoices.search(everything, limit=10)] == ids

        def found(**where: Any) -> Any:
            return uow.invoices.search(InvoiceFilter(**where), limit=10)

        by_c1 = [i.id for i in newest_first if i.customer.id == "c1"]
        assert [i.id for i in await found(customer_id="c1")] == by_c1
        assert [i.id for i in await found(order_id=paid.order_id)] == [paid.id]
        partially_paid = await found(status=InvoiceStatus.PARTIALLY_PAID)
        assert [(i.id, i.paid_total) for i in partially_paid] == [(paid.id, D("1.00"))]
        assert await found(status=InvoiceStatus.PAID) == []
        assert await found(customer_id="c2", order_id=paid.order_id) == []


async def test_marked_lines_are_what_is_left_to_deduct_and_never_invoiced(
    storage: Storage,
) -> None:
    order_id = str(uuid.uuid4())
    down, later = an_invoice(order_id=order_id), an_invoice(order_id=order_id)
    # the later invoice's line 3 deducts the down payment's 21 % part, in full
    first = down.lines[0]
    later.lines.append(
        replace(
            first,
            line_no=3,
            unit_price=-first.net_amount,
            net_amount=-first.net_amount,
            tax_amount=-first.tax_amount,
            gross_amount=-first.gross_amount,
        )
    )
    later.totals = Totals.of(later.lines)
    await stored(storage, down, later)
    async with storage.transaction() as uow:
        repo: Any = uow
        await repo.down_payments.mark(order_id, down.id, [1, 2], MarkedKind.DOWN_PAYMENT)
        await repo.down_payments.mark(order_id, later.id, [3], MarkedKind.DEDUCTION)
    async with storage.transaction() as uow:
        repo = uow
        left = await repo.down_payments.left(order_id)
        second = down.lines[1]
        assert [(x.rate, x.net, x.tax) for x in left] == [
            (D(10), second.net_amount, second.tax_amount)
        ]
        assert await repo.down_payments.numbers(order_id) == [down.number]
        assert await repo.down_payments.left(str(uuid.uuid4())) == []
        invoiced = await repo.billable_orders.invoiced(order_id)
        assert set(invoiced) == {1, 2}  # the later invoice's own lines only
        assert invoiced[1].quantity == later.lines[0].quantity


async def test_a_schedule_reads_back_as_saved(storage: Storage) -> None:
    order_id = str(uuid.uuid4())
    async with storage.transaction() as uow:
        repo: Any = uow
        assert await repo.recurring_schedules.get(order_id) == Schedule(order_id)
        schedule = Schedule(order_id)
        schedule.pause(date(2025, 2, 1))
        await repo.recurring_schedules.save(schedule)
    async with storage.transaction() as uow:
        repo = uow
        found = await repo.recurring_schedules.get(order_id)
        assert found == schedule
        found.resume(date(2025, 3, 1))
        found.pause(date(2025, 5, 1))
        found.end(date(2025, 6, 1))
        await repo.recurring_schedules.save(found)
    async with storage.transaction() as uow:
        repo = uow
        assert await repo.recurring_schedules.get(order_id) == Schedule(
            order_id,
            status=ScheduleStatus.ENDED,
            ends_on=date(2025, 6, 1),
            pauses=[
                Pause(date(2025, 2, 1), date(2025, 3, 1)),
                Pause(date(2025, 5, 1), date(2025, 6, 1)),
            ],
        )


async def test_an_order_stated_is_created_or_updated_and_keeps_its_policy(storage: Storage) -> None:
    order_id = str(uuid.uuid4())
    async with storage.transaction() as uow:
        repo: Any = uow
        first = await repo.billable_orders.state(order_id, {"number": "SO-1"}, "draft")
        assert first == BillableOrder(order_id, {"number": "SO-1"}, None, "draft")
        locked = await repo.billable_orders.lock(order_id)
        await repo.billable_orders.save(replace(locked, policy=InvoicingPolicy.MANUAL))
    async with storage.transaction() as uow:
        repo = uow
        stated = await repo.billable_orders.state(order_id, {"number": "SO-2"}, "open")
        expected = BillableOrder(order_id, {"number": "SO-2"}, InvoicingPolicy.MANUAL, "open")
        assert stated == expected
    async with storage.transaction() as uow:
        repo = uow
        assert await repo.billable_orders.get(order_id) == expected
