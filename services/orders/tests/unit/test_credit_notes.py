"""Credit notes from billing: on the order's timeline, and the order follows its invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orders_builders import an_order

from contracts import EventType, new_event
from contracts.events import CreditNoteIssued, InvoiceIssued, InvoiceStatus
from orders.domain.order import Billing
from orders.service_layer import orders, reactions


def credit_note(order: Any, snapshot: Any, number: str, **state: Any) -> Any:
    note = CreditNoteIssued(
        credit_note_id=f"cn-{number}",
        number=number,
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order.id,
        order_number=order.number,
        customer=snapshot.customer,
        issue_date=datetime.now(UTC).date(),
        currency="EUR",
        reason="damaged",
        lines=[],
        totals=snapshot.totals,
        **state,
    )
    return new_event(EventType.CREDIT_NOTE_ISSUED, note, source="/billing", subject=order.id)


async def test_a_partial_then_a_full_credit_note_make_the_order_credited(uow: Any) -> None:
    order = await an_order(uow, "service")
    await orders.confirm_order(uow, order.id)
    await orders.complete_order(uow, order.id)
    snapshot = uow.outbox[-1].data.order
    today = datetime.now(UTC).date()
    issued = InvoiceIssued(
        invoice_id="inv-1",
        number="INV-2026-000001",
        order_id=order.id,
        order_number=order.number,
        customer=snapshot.customer,
        issue_date=today,
        due_date=today,
        currency="EUR",
        payment_terms=snapshot.payment_terms,
        lines=[],
        totals=snapshot.totals,
    )
    await reactions.invoice_issued(
        uow, new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=order.id)
    )
    partial = credit_note(
        order,
        snapshot,
        "CN-2026-000001",
        applied_amount=Decimal("4.00"),
        customer_credit=Decimal("0.00"),
        invoice_status=InvoiceStatus.ISSUED,
        invoice_credited_total=Decimal("4.00"),
        invoice_balance=Decimal("20.20"),
    )
    state = await reactions.credit_note_issued(uow, partial)
    assert state.billing is Billing.INVOICED
    full = credit_note(
        order,
        snapshot,
        "CN-2026-000002",
        applied_amount=Decimal("20.20"),
        customer_credit=Decimal("1.00"),
        invoice_status=InvoiceStatus.CREDITED,
        invoice_credited_total=Decimal("24.20"),
        invoice_balance=Decimal("0.00"),
    )
    state = await reactions.credit_note_issued(uow, full)
    assert state.billing is Billing.CREDITED
    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert (
        "Credit note CN-2026-000001 for invoice INV-2026-000001: 24.20 EUR (damaged); "
        "balance 20.20 EUR"
    ) in summaries
    assert (
        "Credit note CN-2026-000002 for invoice INV-2026-000001: 24.20 EUR (damaged); "
        "balance 0.00 EUR, 1.00 EUR customer credit"
    ) in summaries
