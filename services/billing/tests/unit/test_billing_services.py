"""The use cases against an in-memory unit of work (a fake, no database, no broker)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from billing_fakes import FakeUnitOfWork

from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import (
    Invoice,
    InvoiceStatus,
    PaymentExceedsBalance,
    UninvoiceableOrder,
)
from billing.service_layer import order_invoicing
from billing.service_layer.payments import InvoiceNotFound, NewPayment, record_payment
from contracts import CloudEvent, EventType
from contracts.common import OrderSnapshot
from contracts.events import InvoiceIssued, PaymentReceived

TODAY = date(2025, 3, 10)


async def complete(
    uow: FakeUnitOfWork,
    cause: CloudEvent[Any],
    order: OrderSnapshot,
    *,
    today: date,
    policy: InvoicingPolicy = InvoicingPolicy.ON_COMPLETION,
) -> Invoice | None:
    """What billing does with order.completed."""
    return await order_invoicing.order_completed(
        uow, cause, order, today=today, default_policy=policy
    )


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


async def issue(
    uow: FakeUnitOfWork,
    order: OrderSnapshot,
    event: Callable[[OrderSnapshot], CloudEvent[Any]],
    today: date = TODAY,
) -> Invoice | None:
    return await complete(uow, event(order), order, today=today)


async def test_a_completed_order_gets_one_invoice_and_one_event(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    order = make_order(
        [("BOLT", "10", "2.50", "0", "21"), ("NUT", "3", "1.99", "5", "10")], payment_days=30
    )
    cause = completed_event(order)
    invoice = await complete(uow, cause, order, today=TODAY)

    assert invoice is not None
    assert invoice.number == "INV-2025-000001"
    assert (invoice.issue_date, invoice.due_date) == (TODAY, date(2025, 4, 9))
    assert (invoice.totals.net, invoice.totals.tax, invoice.totals.gross) == (
        D("30.67"),
        D("5.82"),
        D("36.49"),
    )
    assert invoice.status is InvoiceStatus.ISSUED
    assert invoice.balance == D("36.49")
    assert list(uow.invoices.rows) == [invoice.id]

    [event] = uow.events
    assert event.type == EventType.INVOICE_ISSUED
    assert event.subject == order.order_id
    assert (event.causationid, event.correlationid) == (cause.id, cause.correlationid)
    payload = event.data
    assert isinstance(payload, InvoiceIssued)
    assert payload.number == invoice.number
    assert payload.customer.name == "Ромашка Trading, S.L."
    assert payload.billing_address is not None
    assert payload.billing_address.city == "Madrid"
    assert (payload.payment_terms.days, payload.payment_terms.text) == (30, "Net 30 days")
    assert (payload.customer_reference, payload.opening_text, payload.closing_text) == (
        "PO-4711",
        "Thank you for your order.",
        "Kind regards.",
    )
    assert [(x.sku, x.net_amount, x.tax_amount) for x in payload.lines] == [
        ("BOLT", D("25.00"), D("5.25")),
        ("NUT", D("5.67"), D("0.57")),
    ]
    assert [(t.rate, t.base, t.amount) for t in payload.totals.taxes] == [
        (D("10"), D("5.67"), D("0.57")),
        (D("21"), D("25.00"), D("5.25")),
    ]
    # The payload survives the trip through JSON with its money as cents.
    assert '"gross":"36.49"' in event.model_dump_json()


async def test_the_same_order_completed_twice_keeps_one_invoice(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    order = make_order()
    first = await issue(uow, order, completed_event)
    again = await issue(uow, order, completed_event)  # another event id, the same fact
    assert first is not None
    assert again is None
    assert len(uow.invoices.rows) == 1
    assert [e.type for e in uow.events] == [EventType.INVOICE_ISSUED]
    assert uow.invoices.counters == {2025: 1}  # no number was taken for the duplicate


async def test_numbers_are_consecutive_within_a_year_and_restart_each_year(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    numbers = []
    for today in (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)):
        invoice = await issue(uow, make_order(), completed_event, today=today)
        assert invoice is not None
        numbers.append(invoice.number)
    assert numbers == ["INV-2025-000001", "INV-2025-000002", "INV-2026-000001", "INV-2026-000002"]


async def test_an_order_that_does_not_add_up_is_refused_without_a_trace(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    good = make_order()
    bad = good.model_copy(
        update={"totals": good.totals.model_copy(update={"gross": good.totals.gross + 1})}
    )
    with pytest.raises(UninvoiceableOrder, match=r"totals\.gross is"):
        await issue(uow, bad, completed_event)
    assert (uow.invoices.rows, uow.events, uow.invoices.counters) == ({}, [], {})


async def test_payments_move_the_invoice_to_partially_paid_then_paid(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    invoice = await issue(uow, make_order(), completed_event)  # 133.10 gross
    assert invoice is not None
    assert invoice.totals.gross == D("133.10")
    received = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)

    first, p1 = await record_payment(
        uow, invoice.id, NewPayment(amount=D("100.00"), received_at=received)
    )
    assert (first.status, first.paid_total, first.balance) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("100.00"),
        D("33.10"),
    )
    last, p2 = await record_payment(
        uow,
        invoice.id,
        NewPayment(amount=D("33.10"), received_at=received, reference="wire 2"),
        correlation_id="corr-1",
    )
    assert (last.status, last.paid_total, last.balance) == (InvoiceStatus.PAID, D("133.10"), D("0"))

    stored = await uow.invoices.get(invoice.id)
    assert stored is not None
    assert stored.status is InvoiceStatus.PAID
    assert [p.id for p in stored.payments] == [p1.id, p2.id]
    payments = [e for e in uow.events if e.type == EventType.PAYMENT_RECEIVED]
    assert [e.subject for e in payments] == [invoice.order_id] * 2
    assert payments[1].correlationid == "corr-1"
    data = [e.data for e in payments]
    assert all(isinstance(d, PaymentReceived) for d in data)
    assert [(d.amount, d.paid_total, d.balance, d.status.value) for d in data] == [
        (D("100.00"), D("100.00"), D("33.10"), "partially_paid"),
        (D("33.10"), D("133.10"), D("0.00"), "paid"),
    ]
    assert data[0].invoice_number == invoice.number
    assert data[0].received_at == received


async def test_an_overpayment_is_refused_and_nothing_is_stored_or_recorded(
    uow: FakeUnitOfWork, make_order: Any, completed_event: Any
) -> None:
    invoice = await issue(uow, make_order(), completed_event)
    assert invoice is not None
    now = datetime.now(UTC)
    await record_payment(uow, invoice.id, NewPayment(amount=D("33.10"), received_at=now))
    events_before = len(uow.events)
    with pytest.raises(PaymentExceedsBalance):
        await record_payment(uow, invoice.id, NewPayment(amount=D("100.01"), received_at=now))
    stored = await uow.invoices.get(invoice.id)
    assert stored is not None
    assert (stored.status, stored.paid_total, len(stored.payments)) == (
        InvoiceStatus.PARTIALLY_PAID,
        D("33.10"),
        1,
    )
    assert len(uow.events) == events_before


async def test_a_payment_on_an_unknown_invoice_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvoiceNotFound):
        await record_payment(
            uow, "nope", NewPayment(amount=D("1.00"), received_at=datetime.now(UTC))
        )
