"""Fulfilment and billing follow their producer's per-order sequence: a stale event (delivered
late, or replayed under a new id) is on the timeline, marked stale, and moves nothing back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

from orders_builders import an_order, payment_received, shipment_dispatched

from contracts import CloudEvent, EventType, new_event
from contracts.events import (
    DunningLevelReached,
    EInvoiceGenerated,
    EInvoicePrepared,
    InvoiceOverdue,
    PaymentReversed,
    ShipmentDispatched,
    StockReleased,
    StockReserved,
)
from orders.domain.order import Billing, Fulfilment, OrderStatus
from orders.service_layer import orders, reactions


def numbered(
    event_type: EventType, payload: Any, order_id: str, sequence: int | None, source: str
) -> CloudEvent[Any]:
    event = new_event(event_type, payload, source=source, subject=order_id)
    return event.model_copy(update={"sequence": sequence})


def shipment(order_id: str, shipment_id: str, quantity: str, *, fully: bool) -> ShipmentDispatched:
    return shipment_dispatched(order_id, shipment_id, [("SKU-0", quantity)], fully=fully)


def dispatched(payload: ShipmentDispatched, sequence: int | None) -> CloudEvent[Any]:
    return numbered(
        EventType.SHIPMENT_DISPATCHED, payload, payload.order_id, sequence, "/inventory"
    )


async def a_reserved_order(uow: Any) -> Any:
    order = await an_order(uow)
    await orders.confirm_order(uow, order.id)
    reserved = StockReserved(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "2"}])
    await reactions.stock_reserved(
        uow, numbered(EventType.STOCK_RESERVED, reserved, order.id, 1, "/inventory")
    )
    return order


async def test_an_earlier_shipment_delivered_after_the_last_counts_but_leaves_it_shipped(
    uow: Any,
) -> None:
    order = await a_reserved_order(uow)
    first = shipment(order.id, "SHP-1", "1", fully=False)
    last = shipment(order.id, "SHP-2", "1", fully=True)

    await reactions.shipment_dispatched(uow, dispatched(last, 3))
    state = await reactions.shipment_dispatched(uow, dispatched(first, 2))  # overtaken

    assert state.fulfilment is Fulfilment.SHIPPED
    assert state.lines[0].shipped_quantity == D("2")  # the goods of both shipments left
    assert state.applied_sequences == {"/inventory": 3}
    done = await orders.complete_order(uow, order.id)
    assert done.status is OrderStatus.CONCLUDED

    entries = [e for e in await uow.timeline(order.id) if e.type == EventType.SHIPMENT_DISPATCHED]
    assert [(e.sequence, e.stale) for e in entries] == [(3, False), (2, True)]
    assert entries[1].summary.startswith("Stale, not applied")


async def test_a_replay_under_a_new_id_is_recorded_stale_and_changes_nothing(uow: Any) -> None:
    order = await a_reserved_order(uow)
    partial = shipment(order.id, "SHP-1", "1", fully=False)
    await reactions.shipment_dispatched(uow, dispatched(partial, 2))
    released = StockReleased(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "1"}])

    # The reservation reported again with its old number, and a release older than the shipment.
    reserved = StockReserved(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "2"}])
    await reactions.stock_reserved(
        uow, numbered(EventType.STOCK_RESERVED, reserved, order.id, 1, "/inventory")
    )
    state = await reactions.stock_released(
        uow, numbered(EventType.STOCK_RELEASED, released, order.id, 2, "/inventory")
    )

    assert state.fulfilment is Fulfilment.PARTIALLY_SHIPPED
    assert state.lines[0].shipped_quantity == D("1")
    stale = [e.type for e in await uow.timeline(order.id) if e.stale]
    assert stale == [EventType.STOCK_RESERVED, EventType.STOCK_RELEASED]


async def test_a_stale_event_from_one_producer_is_judged_by_its_own_numbers(uow: Any) -> None:
    order = await a_reserved_order(uow)  # inventory is at 1
    await orders.cancel_order(uow, order.id, reason="no longer needed")
    paid = payment_received(
        order.id, "10.00", paid_total="10.00", balance="14.20", status="partially_paid"
    )
    # Billing's first number is 1 too: another producer's sequence is its own.
    state = await reactions.payment_received(
        uow, numbered(EventType.PAYMENT_RECEIVED, paid, order.id, 1, "/billing")
    )
    assert state.billing is Billing.PARTIALLY_PAID
    assert state.applied_sequences == {"/inventory": 1, "/billing": 1}


async def test_unnumbered_events_are_applied_as_they_come(uow: Any) -> None:
    order = await a_reserved_order(uow)  # inventory is at 1
    await reactions.shipment_dispatched(
        uow, dispatched(shipment(order.id, "SHP-2", "1", fully=True), None)
    )
    state = await reactions.shipment_dispatched(
        uow, dispatched(shipment(order.id, "SHP-1", "1", fully=False), None)
    )
    # Without numbers the last delivered wins, as before sequences existed.
    assert state.fulfilment is Fulfilment.PARTIALLY_SHIPPED
    assert state.applied_sequences == {"/inventory": 1}
    assert not any(e.stale for e in await uow.timeline(order.id))


async def test_our_own_events_are_numbered_per_order(uow: Any) -> None:
    order = await an_order(uow)
    other = await an_order(uow)
    await orders.confirm_order(uow, order.id)
    numbers = [(e.subject == order.id, e.sequence) for e in uow.outbox]
    assert numbers == [(True, 1), (False, 1), (True, 2)]
    assert other.id != order.id


async def test_a_reversed_payment_moves_billing_back_only_in_billing_sequence(uow: Any) -> None:
    order = await a_reserved_order(uow)
    paid = payment_received(order.id, "24.20", paid_total="24.20", balance="0.00", status="paid")
    await reactions.payment_received(
        uow, numbered(EventType.PAYMENT_RECEIVED, paid, order.id, 2, "/billing")
    )
    reversed_ = PaymentReversed(
        payment_id="p-1",
        allocation_id="a-1",
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order.id,
        customer_id="c-1",
        amount=D("24.20"),
        currency="EUR",
        paid_total=D("0.00"),
        balance=D("24.20"),
        status="issued",
        reason="cheque bounced",
        reversed_at=datetime.now(UTC),
    )
    stale = await reactions.payment_reversed(
        uow, numbered(EventType.PAYMENT_REVERSED, reversed_, order.id, 1, "/billing")
    )
    assert stale.billing is Billing.PAID  # older than the payment it would undo
    state = await reactions.payment_reversed(
        uow, numbered(EventType.PAYMENT_REVERSED, reversed_, order.id, 3, "/billing")
    )
    assert state.billing is Billing.INVOICED
    entries = [e.summary for e in await uow.timeline(order.id)]
    assert any("reversed on invoice INV-2026-000001 (cheque bounced)" in s for s in entries)


async def test_an_overdue_invoice_makes_the_order_overdue_until_it_is_paid(uow: Any) -> None:
    order = await a_reserved_order(uow)
    overdue = InvoiceOverdue(
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order.id,
        customer_id="c-1",
        currency="EUR",
        due_date=date(2026, 3, 1),
        balance=D("24.20"),
        days_past_due=1,
        overdue_on=date(2026, 3, 2),
    )
    state = await reactions.invoice_overdue(
        uow, numbered(EventType.INVOICE_OVERDUE, overdue, order.id, 2, "/billing")
    )
    assert state.billing is Billing.OVERDUE
    part = payment_received(
        order.id, "4.20", paid_total="4.20", balance="20.00", status="partially_paid"
    )
    state = await reactions.payment_received(
        uow, numbered(EventType.PAYMENT_RECEIVED, part, order.id, 3, "/billing")
    )
    assert state.billing is Billing.OVERDUE  # still owing after its due date
    reminder = DunningLevelReached(
        **overdue.model_dump(exclude={"customer_id", "overdue_on"}),
        customer={"id": "c-1", "name": "C"},
        level=1,
        name="Payment reminder",
        text="Please pay.",
        reached_on=date(2026, 3, 8),
    )
    state = await reactions.dunning_level_reached(
        uow, numbered(EventType.DUNNING_LEVEL_REACHED, reminder, order.id, 4, "/billing")
    )
    assert state.billing is Billing.OVERDUE
    rest = payment_received(order.id, "20.00", paid_total="24.20", balance="0.00", status="paid")
    state = await reactions.payment_received(
        uow, numbered(EventType.PAYMENT_RECEIVED, rest, order.id, 5, "/billing")
    )
    assert state.billing is Billing.PAID
    summaries = [e.summary for e in await uow.timeline(order.id)]
    assert any("Invoice INV-2026-000001 overdue" in s for s in summaries)
    assert any("Dunning level 1 (Payment reminder)" in s for s in summaries)


async def test_an_einvoice_goes_on_the_timeline_and_among_the_documents(uow: Any) -> None:
    order = await a_reserved_order(uow)
    prepared = EInvoicePrepared(
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order.id,
        document_type="380",
        currency="EUR",
        net_total=D("20.00"),
        tax_total=D("4.20"),
        gross_total=D("24.20"),
        profile="urn:cen.eu:en16931:2017",
        xml="<rsm:CrossIndustryInvoice/>",
    )
    state = await reactions.einvoice_prepared(
        uow, numbered(EventType.EINVOICE_PREPARED, prepared, order.id, 2, "/billing")
    )
    assert state.documents == []
    generated = EInvoiceGenerated(
        document_id="d-1",
        order_id=order.id,
        invoice_id="inv-1",
        reference="INV-2026-000001",
        document_type="380",
        filename="INV-2026-000001-factur-x.pdf",
        size=100,
        sha256="0" * 64,
        download_path="/documents/d-1/content",
    )
    event = new_event(
        EventType.EINVOICE_GENERATED, generated, source="/documents", subject=order.id
    )
    state = await reactions.einvoice_generated(uow, event)
    state = await reactions.einvoice_generated(uow, event.model_copy(update={"id": "again"}))
    assert [(d.kind, d.reference) for d in state.documents] == [("einvoice", "INV-2026-000001")]
    summaries = [e.summary for e in await uow.timeline(order.id)]
    assert "E-invoice (EN 16931) requested for INV-2026-000001" in summaries
    assert "Factur-X e-invoice generated (INV-2026-000001)" in summaries
