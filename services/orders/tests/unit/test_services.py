"""The use cases against an in-memory unit of work: state, events and timeline together."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import (
    a_customer,
    an_order,
    document_generated,
    lines,
    payment_received,
    shipment_dispatched,
)

from contracts import CloudEvent, EventType, new_event
from contracts.events import (
    DeliveryNoteGenerated,
    InvoiceIssued,
    OrderSubmitted,
    StockReserved,
)
from orders.domain.content import Address, LineKind
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.order import Billing, Fulfilment, OrderStatus
from orders.service_layer import inbound, orders, reactions


def inventory_event(event_type: EventType, payload: Any, order_id: str) -> CloudEvent[Any]:
    return new_event(event_type, payload, source="/inventory", subject=order_id)


async def test_create_numbers_orders_and_emits_created(uow: Any) -> None:
    first = await an_order(uow)
    second = await an_order(uow)
    year = datetime.now(UTC).year
    assert first.number == f"SO-{year}-000001"
    assert second.number == f"SO-{year}-000002"
    assert first.status is OrderStatus.DRAFT
    assert first.totals.gross == D("24.20")
    created = uow.outbox[0]
    assert created.type == EventType.ORDER_CREATED
    assert created.subject == first.id
    assert created.correlationid == "corr-1"
    assert created.data.order.number == first.number
    assert created.data.order.totals.gross == D("24.20")
    [entry] = await uow.timeline(first.id)
    assert entry.summary == f"Order {first.number} created: 1 line(s), 24.20 EUR"


async def test_a_create_reads_its_customer_and_items_ahead_once(uow: Any) -> None:
    customer = await a_customer(uow)
    order = await an_order(uow, "product", "service", customer=customer)
    skus = frozenset(line.sku for line in order.lines)
    assert len(skus) == 2
    assert uow.read_ahead == [(customer.id, skus)]  # one round trip where the store can


async def test_addresses_default_to_the_customers(uow: Any) -> None:
    home = Address("Calle Mayor 1", "28013", "Madrid", "ES")
    depot = Address("Polígono 7", "28500", "Arganda", "ES")
    customer = await a_customer(uow, billing_address=home)
    order = await an_order(uow, customer=customer)
    assert (order.billing_address, order.shipping_address) == (home, home)
    other = await an_order(uow, customer=customer, shipping_address=depot)
    assert (other.billing_address, other.shipping_address) == (home, depot)


async def test_unknown_customer_is_invalid_input(uow: Any) -> None:
    with pytest.raises(InvalidOrder) as raised:
        await orders.create_order(
            uow, orders.NewOrder(customer_id=str(uuid.uuid4()), currency="EUR", lines=lines())
        )
    assert raised.value.field == "customer_id"
    assert uow.outbox == []
    assert uow.counters == {}


async def test_confirm_emits_the_snapshot_and_a_refusal_emits_nothing(uow: Any) -> None:
    order = await an_order(uow, "product", "service")
    confirmed = await orders.confirm_order(uow, order.id, correlation_id="corr-2")
    assert (confirmed.status, confirmed.fulfilment) == (OrderStatus.OPEN, Fulfilment.RESERVING)
    assert uow.published_types() == [EventType.ORDER_CREATED, EventType.ORDER_CONFIRMED]
    assert len(uow.outbox[1].data.order.lines) == 2
    with pytest.raises(IllegalTransition):
        await orders.confirm_order(uow, order.id)
    assert len(uow.outbox) == 2
    assert (await orders.get_order(uow, order.id)).status is OrderStatus.OPEN


async def test_cancel_reports_the_previous_status(uow: Any) -> None:
    order = await an_order(uow)
    await orders.confirm_order(uow, order.id)
    cancelled = await orders.cancel_order(uow, order.id, "changed mind")
    assert cancelled.status is OrderStatus.CANCELLED
    event = uow.outbox[-1]
    assert event.type == EventType.ORDER_CANCELLED
    assert (event.data.previous_status, event.data.reason) == ("open", "changed mind")
    assert (await uow.timeline(order.id))[-1].summary == "Order cancelled (was open): changed mind"


async def test_revise_only_a_draft(uow: Any) -> None:
    order = await an_order(uow)
    revised = await orders.revise_order(uow, order.id, {"contact": "Ana"}, lines("service"))
    stored = await orders.get_order(uow, order.id)
    assert stored.contact == revised.contact == "Ana"
    assert [line.kind for line in stored.lines] == [LineKind.SERVICE]
    await orders.confirm_order(uow, order.id)
    with pytest.raises(IllegalTransition):
        await orders.revise_order(uow, order.id, {"contact": "Bob"}, None)
    assert (await orders.get_order(uow, order.id)).contact == "Ana"


async def test_revise_to_another_customer_takes_its_addresses(uow: Any) -> None:
    order = await an_order(uow)
    home = Address("Main St 1", "10001", "New York", "US")
    other = await a_customer(uow, email="other@example.com", billing_address=home)
    revised = await orders.revise_order(uow, order.id, {"customer_id": other.id}, None)
    assert (revised.customer_id, revised.billing_address, revised.shipping_address) == (
        other.id,
        home,
        home,
    )
    with pytest.raises(InvalidOrder):
        await orders.revise_order(uow, order.id, {"customer_id": str(uuid.uuid4())}, None)


async def test_the_life_of_an_order_from_consumed_events(uow: Any) -> None:
    order = await an_order(uow, "product", "service")
    await orders.confirm_order(uow, order.id)
    with pytest.raises(IllegalTransition, match="not fully shipped"):
        await orders.complete_order(uow, order.id)

    reserved = StockReserved(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "2"}])
    await reactions.stock_reserved(
        uow, inventory_event(EventType.STOCK_RESERVED, reserved, order.id)
    )
    shipped = shipment_dispatched(order.id, "SHP-1", [("SKU-0", "2")], fully=True)
    event = inventory_event(EventType.SHIPMENT_DISPATCHED, shipped, order.id)
    await reactions.shipment_dispatched(uow, event)
    again = inventory_event(EventType.SHIPMENT_DISPATCHED, shipped, order.id)  # new id, same fact
    state = await reactions.shipment_dispatched(uow, again)
    assert state.fulfilment is Fulfilment.SHIPPED
    assert [line.shipped_quantity for line in state.lines] == [D("2"), D("0")]

    done = await orders.complete_order(uow, order.id)
    assert done.status is OrderStatus.CONCLUDED
    assert uow.outbox[-1].type == EventType.ORDER_COMPLETED

    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert "Stock reserved for 1 line(s)" in summaries
    assert summaries.count("Shipment SHP-1 dispatched with 1 line(s): order fully shipped") == 2


async def test_an_order_inventory_has_nothing_to_reserve_for_completes_once_reserved(
    uow: Any,
) -> None:
    # Its product line's SKU is a service in inventory's catalogue: nothing will be shipped.
    order = await an_order(uow, "product")
    await orders.confirm_order(uow, order.id)
    nothing = StockReserved(order_id=order.id, lines=[])
    state = await reactions.stock_reserved(
        uow, inventory_event(EventType.STOCK_RESERVED, nothing, order.id)
    )
    assert (state.fulfilment, state.nothing_to_ship) == (Fulfilment.RESERVED, True)

    done = await orders.complete_order(uow, order.id)
    assert (done.status, done.fulfilment) == (OrderStatus.CONCLUDED, Fulfilment.RESERVED)
    assert uow.outbox[-1].type == EventType.ORDER_COMPLETED
    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert "Nothing to reserve: no line of the order is stocked" in summaries


async def test_cancelling_an_order_with_nothing_to_ship_leaves_it_unreserved(uow: Any) -> None:
    order = await an_order(uow, "product")
    await orders.confirm_order(uow, order.id)
    nothing = StockReserved(order_id=order.id, lines=[])
    await reactions.stock_reserved(
        uow, inventory_event(EventType.STOCK_RESERVED, nothing, order.id)
    )
    cancelled = await orders.cancel_order(uow, order.id, reason=None)
    assert (cancelled.status, cancelled.fulfilment) == (
        OrderStatus.CANCELLED,
        Fulfilment.UNRESERVED,
    )
    stored = await orders.get_order(uow, order.id)
    assert stored.fulfilment is Fulfilment.UNRESERVED


async def test_billing_and_documents_from_consumed_events(uow: Any) -> None:
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
        issue_date=datetime.now(UTC).date(),
        due_date=datetime.now(UTC).date(),
        currency="EUR",
        payment_terms=snapshot.payment_terms,
        lines=[],
        totals=snapshot.totals,
    )
    await reactions.invoice_issued(
        uow, new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=order.id)
    )
    paid = payment_received(order.id, "24.20", paid_total="24.20", balance="0.00", status="paid")
    state = await reactions.payment_received(
        uow, new_event(EventType.PAYMENT_RECEIVED, paid, source="/billing", subject=order.id)
    )
    assert state.billing is Billing.PAID
    generated = document_generated(order.id, "INV-2026-000001")
    state = await reactions.document_generated(
        uow,
        new_event(EventType.DOCUMENT_GENERATED, generated, source="/documents", subject=order.id),
    )
    assert [d.document_id for d in state.documents] == ["doc-1"]
    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert "Invoice INV-2026-000001 issued: 24.20 EUR" in summaries
    assert "Invoice PDF generated (INV-2026-000001)" in summaries
    note = DeliveryNoteGenerated(
        document_id="doc-2",
        order_id=order.id,
        shipment_id="ship-1",
        reference="DN-SO-1-ship-1",
        filename="DN-SO-1-ship-1.pdf",
        size=1024,
        sha256="b" * 64,
        download_path="/documents/doc-2/content",
    )
    event = new_event(
        EventType.DELIVERY_NOTE_GENERATED, note, source="/documents", subject=order.id
    )
    state = await reactions.delivery_note_generated(uow, event)
    assert [(d.document_id, d.kind) for d in state.documents] == [
        ("doc-1", "invoice"),
        ("doc-2", "delivery_note"),
    ]
    summaries = [entry.summary for entry in await uow.timeline(order.id)]
    assert "Delivery note PDF generated (DN-SO-1-ship-1, shipment ship-1)" in summaries


async def test_an_event_about_an_unknown_order_is_refused(uow: Any) -> None:
    missing = str(uuid.uuid4())
    reserved = StockReserved(order_id=missing, lines=[])
    with pytest.raises(orders.OrderNotFound):
        await reactions.stock_reserved(
            uow, inventory_event(EventType.STOCK_RESERVED, reserved, missing)
        )


def submission(reference: str, *, confirm: bool, email: str = "shop@example.com") -> Any:
    payload = OrderSubmitted.model_validate(
        {
            "external_reference": reference,
            "customer": {"name": "Web Buyer", "email": email},
            "currency": "EUR",
            "lines": [{"sku": "SKU-9", "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
            "confirm": confirm,
        }
    )
    return new_event(
        EventType.ORDER_SUBMITTED,
        payload,
        source="/webshop",
        subject=reference,
        correlation_id="shop-flow",
    )


async def test_a_submission_creates_one_order_however_often_it_comes(uow: Any) -> None:
    known = await a_customer(uow, email="Shop@Example.com")
    order = await inbound.submit_order(uow, submission("SHOP-1", confirm=True))
    assert order is not None
    assert order.customer_id == known.id  # matched by e-mail, whatever its case
    assert order.external_reference == "SHOP-1"
    assert (order.status, order.fulfilment) == (OrderStatus.OPEN, Fulfilment.RESERVING)
    assert order.lines[0].description == "SKU-9"
    assert await inbound.submit_order(uow, submission("SHOP-1", confirm=True)) is None
    assert len(uow.orders.rows) == 1
    created, confirmed = uow.outbox
    assert (created.type, confirmed.type) == (EventType.ORDER_CREATED, EventType.ORDER_CONFIRMED)
    assert created.data.external_reference == "SHOP-1"
    assert {created.correlationid, confirmed.correlationid} == {"shop-flow"}
    entries = await uow.timeline(order.id)
    assert [e.type for e in entries] == [
        EventType.ORDER_SUBMITTED,
        EventType.ORDER_CREATED,
        EventType.ORDER_CONFIRMED,
    ]
    assert entries[0].source == "/webshop"
    assert entries[0].summary == "Order SHOP-1 submitted by /webshop"


async def test_a_submission_from_a_new_customer_creates_the_customer(uow: Any) -> None:
    order = await inbound.submit_order(
        uow, submission("SHOP-2", confirm=False, email="new@example.com")
    )
    assert order is not None
    assert order.status is OrderStatus.DRAFT
    customer = await uow.customers.get(order.customer_id)
    assert (customer.name, customer.email) == ("Web Buyer", "new@example.com")
    assert uow.published_types() == [EventType.ORDER_CREATED]
