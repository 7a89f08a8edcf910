"""Deliveries and customers' returns, reported by inventory, are on the order's timeline; one
about an order this service does not know can never succeed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from orders_builders import an_order

from contracts import EventType, new_event
from contracts.events import ReturnAuthorised, ReturnReceived, ShipmentDelivered
from orders.service_layer import reactions
from orders.service_layer.orders import OrderNotFound


async def test_a_return_authorised_then_received_is_on_the_timeline(uow: Any) -> None:
    order = await an_order(uow)
    authorised = ReturnAuthorised(
        return_id="r-1",
        number="RMA-2026-000001",
        order_id=order.id,
        reason="wrong size",
        lines=[{"sku": "SKU-0", "quantity": "2"}],
    )
    received = ReturnReceived(
        return_id="r-1",
        number="RMA-2026-000001",
        order_id=order.id,
        reason="wrong size",
        lines=[
            {"sku": "SKU-0", "quantity": "1.5", "disposition": "restock"},
            {"sku": "SKU-1", "quantity": "0.5", "disposition": "scrap"},
        ],
    )
    await reactions.return_authorised(
        uow,
        new_event(EventType.RETURN_AUTHORISED, authorised, source="/inventory", subject=order.id),
    )
    await reactions.return_received(
        uow, new_event(EventType.RETURN_RECEIVED, received, source="/inventory", subject=order.id)
    )

    summaries = [
        e.summary
        for e in await uow.timeline(order.id)
        if e.type in (EventType.RETURN_AUTHORISED, EventType.RETURN_RECEIVED)
    ]
    assert summaries == [
        "Return RMA-2026-000001 authorised: 2 SKU-0 (wrong size)",
        "Return RMA-2026-000001 received: 1.5 SKU-0 restocked, 0.5 SKU-1 scrapped",
    ]


async def test_a_return_of_an_unknown_order_is_refused(uow: Any) -> None:
    payload = ReturnAuthorised(
        return_id="r-2",
        number="RMA-2026-000002",
        order_id=str(uuid.uuid4()),
        reason="x",
        lines=[{"sku": "SKU-0", "quantity": "1"}],
    )
    event = new_event(EventType.RETURN_AUTHORISED, payload, source="/inventory", subject="o")
    with pytest.raises(OrderNotFound):
        await reactions.return_authorised(uow, event)


async def test_a_delivery_is_on_the_timeline_with_its_carrier(uow: Any) -> None:
    order = await an_order(uow)
    delivered = ShipmentDelivered(
        order_id=order.id,
        shipment_id="shp-1",
        delivered_at=datetime(2026, 12, 3, 10, 30, tzinfo=UTC),
        carrier="DHL",
        tracking_number="JD0001",
    )
    await reactions.shipment_delivered(
        uow,
        new_event(EventType.SHIPMENT_DELIVERED, delivered, source="/inventory", subject=order.id),
    )
    [entry] = [e for e in await uow.timeline(order.id) if e.type == EventType.SHIPMENT_DELIVERED]
    assert entry.summary == "Shipment shp-1 delivered on 2026-12-03 (DHL, tracking JD0001)"


async def test_the_order_shows_what_came_back_per_line_once_per_return(uow: Any) -> None:
    order = await an_order(uow, "product", "product")
    received = ReturnReceived(
        return_id="r-3",
        number="RMA-2026-000003",
        order_id=order.id,
        reason="damaged",
        lines=[
            {"sku": "SKU-0", "quantity": "1.5", "disposition": "restock"},
            {"sku": "SKU-1", "quantity": "0.5", "disposition": "scrap"},
            {"sku": "NOT-ON-IT", "quantity": "1", "disposition": "scrap"},
        ],
    )
    for _ in range(2):  # the same return reported twice (another event id): counted once
        event = new_event(
            EventType.RETURN_RECEIVED, received, source="/inventory", subject=order.id
        )
        state = await reactions.return_received(uow, event)
    assert [(line.sku, line.returned_quantity) for line in state.lines] == [
        ("SKU-0", Decimal("1.5")),
        ("SKU-1", Decimal("0.5")),
    ]
    stored = await uow.orders.get(order.id)
    assert [line.returned_quantity for line in stored.lines] == [Decimal("1.5"), Decimal("0.5")]
