"""Milestones: an order that becomes backordered, fully shipped or paid records an event of
ours, caused by the fact reported, once."""

from __future__ import annotations

from typing import Any

from orders_builders import an_order, payment_received, shipment_dispatched

from contracts import EventType, new_event
from contracts.events import (
    InvoiceIssued,
    InvoiceOverdue,
    NotificationEmailed,
    StockReservationFailed,
    StockReserved,
)
from orders.service_layer import orders, reactions
from servicekit.auth import acting_as


def milestones(uow: Any) -> list[Any]:
    kinds = {
        EventType.ORDER_BACKORDERED,
        EventType.ORDER_SHIPPED,
        EventType.ORDER_PAID,
        EventType.ORDER_OVERDUE,
    }
    return [event for event in uow.outbox if event.type in kinds]


async def test_backordered_then_fully_shipped_each_once(uow: Any) -> None:
    with acting_as("alice"):
        order = await an_order(uow, "product")
    await orders.confirm_order(uow, order.id)
    failed = StockReservationFailed(
        order_id=order.id, shortages=[{"sku": "SKU-0", "requested": "2", "available": "0"}]
    )
    cause = new_event(
        EventType.STOCK_RESERVATION_FAILED, failed, source="/inventory", subject=order.id
    )
    await reactions.stock_reservation_failed(uow, cause)
    [backordered] = milestones(uow)
    assert backordered.type == EventType.ORDER_BACKORDERED
    assert (backordered.causationid, backordered.subject) == (cause.id, order.id)
    assert backordered.data.fulfilment == "backordered"
    assert backordered.data.owner == "alice"  # documents e-mails her, unless she opted out

    reserved = StockReserved(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "2"}])
    await reactions.stock_reserved(
        uow, new_event(EventType.STOCK_RESERVED, reserved, source="/inventory", subject=order.id)
    )
    shipped = shipment_dispatched(order.id, "SHP-1", [("SKU-0", "2")], fully=True)
    for _ in range(2):  # the same fact twice (a new id): the order is shipped once
        await reactions.shipment_dispatched(
            uow,
            new_event(
                EventType.SHIPMENT_DISPATCHED, shipped, source="/inventory", subject=order.id
            ),
        )
    assert [event.type for event in milestones(uow)] == [
        EventType.ORDER_BACKORDERED,
        EventType.ORDER_SHIPPED,
    ]
    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert f"Order fully shipped: {order.number}" in summaries


async def test_paid_in_full_but_not_partially(uow: Any) -> None:
    order = await an_order(uow, "service")
    await orders.confirm_order(uow, order.id)
    await orders.complete_order(uow, order.id)
    snapshot = uow.outbox[-1].data.order
    issued = InvoiceIssued(
        invoice_id="inv-1",
        number="INV-2026-000001",
        order_id=order.id,
        order_number=order.number,
        customer=snapshot.customer,
        issue_date=snapshot.order_date,
        due_date=snapshot.order_date,
        currency="EUR",
        payment_terms=snapshot.payment_terms,
        lines=[],
        totals=snapshot.totals,
    )
    await reactions.invoice_issued(
        uow, new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=order.id)
    )
    for amount, balance, status in (("10.00", "14.20", "partially_paid"), ("14.20", "0", "paid")):
        paid = payment_received(
            order.id, amount, paid_total="24.20", balance=balance, status=status
        )
        await reactions.payment_received(
            uow, new_event(EventType.PAYMENT_RECEIVED, paid, source="/billing", subject=order.id)
        )
    [paid_event] = milestones(uow)
    assert paid_event.type == EventType.ORDER_PAID
    assert paid_event.data.billing == "paid"


async def test_overdue_once(uow: Any) -> None:
    order = await an_order(uow, "service")
    await orders.confirm_order(uow, order.id)
    await orders.complete_order(uow, order.id)
    snapshot = uow.outbox[-1].data.order
    issued = InvoiceIssued(
        invoice_id="inv-1",
        number="INV-2026-000001",
        order_id=order.id,
        order_number=order.number,
        customer=snapshot.customer,
        issue_date=snapshot.order_date,
        due_date=snapshot.order_date,
        currency="EUR",
        payment_terms=snapshot.payment_terms,
        lines=[],
        totals=snapshot.totals,
    )
    await reactions.invoice_issued(
        uow, new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=order.id)
    )
    overdue = InvoiceOverdue(
        invoice_id="inv-1",
        invoice_number="INV-2026-000001",
        order_id=order.id,
        customer_id=snapshot.customer.id,
        currency="EUR",
        due_date=snapshot.order_date,
        balance=snapshot.totals.gross,
        days_past_due=3,
        overdue_on=snapshot.order_date,
    )
    for _ in range(2):  # the next day's run finds it again: one milestone
        await reactions.invoice_overdue(
            uow, new_event(EventType.INVOICE_OVERDUE, overdue, source="/billing", subject=order.id)
        )
    assert [event.type for event in milestones(uow)] == [EventType.ORDER_OVERDUE]


async def test_the_owner_s_notification_lands_on_the_timeline_once(uow: Any) -> None:
    order = await an_order(uow, "service")
    emailed = NotificationEmailed(
        email_id="e-1",
        order_id=order.id,
        milestone=EventType.ORDER_PAID,
        to=["alice@sales.example"],
        subject=f"Order {order.number} is paid",
        status="sent",
        attempts=1,
    )
    for _ in range(2):  # the same outcome under two event ids
        event = new_event(
            EventType.NOTIFICATION_EMAILED, emailed, source="/documents", subject=order.id
        )
        await reactions.notification_emailed(uow, event)
    found = [e.summary for e in await uow.timeline(order.id) if e.type == event.type]
    assert found == [
        f"Owner notified by e-mail (alice@sales.example): Order {order.number} is paid"
    ]
