"""Closing an order short: an open, partially shipped order ends early. The unshipped remainder
is cancelled (order.closed_short), inventory releases it (stock.released) and the order then
completes with what shipped, which is what billing invoices (order.completed)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import an_order, shipment_dispatched

from contracts import CloudEvent, EventType, new_event
from contracts.events import StockReleased, StockReserved
from orders.domain.errors import IllegalTransition
from orders.domain.order import Fulfilment, OrderStatus
from orders.service_layer import orders, reactions


def from_inventory(event_type: EventType, payload: Any, order_id: str, seq: int) -> CloudEvent[Any]:
    event = new_event(event_type, payload, source="/inventory", subject=order_id)
    return event.model_copy(update={"sequence": seq})


async def a_partially_shipped_order(uow: Any) -> Any:
    """Two product lines of 2 each (SKU-0, SKU-1) and a service; 1 of SKU-0 shipped."""
    order = await an_order(uow, "product", "product", "service")
    await orders.confirm_order(uow, order.id)
    held = [{"sku": "SKU-0", "quantity": "2"}, {"sku": "SKU-1", "quantity": "2"}]
    await reactions.stock_reserved(
        uow,
        from_inventory(
            EventType.STOCK_RESERVED, StockReserved(order_id=order.id, lines=held), order.id, 1
        ),
    )
    shipped = shipment_dispatched(order.id, "SHP-1", [("SKU-0", "1")], fully=False)
    await reactions.shipment_dispatched(
        uow, from_inventory(EventType.SHIPMENT_DISPATCHED, shipped, order.id, 2)
    )
    return order


async def test_close_short_cancels_the_remainder_and_completes_once_released(uow: Any) -> None:
    order = await a_partially_shipped_order(uow)

    closing = await orders.close_short_order(uow, order.id, "customer no longer needs it")

    assert closing.status is OrderStatus.OPEN  # until inventory released the remainder
    assert closing.closed_short_at is not None
    [closed] = [e for e in uow.outbox if e.type == EventType.ORDER_CLOSED_SHORT]
    assert [(s.sku, s.quantity) for s in closed.data.remainder] == [
        ("SKU-0", D("1")),
        ("SKU-1", D("2")),
    ]
    assert closed.data.reason == "customer no longer needs it"
    with pytest.raises(IllegalTransition):  # it completes by itself, with what shipped
        await orders.complete_order(uow, order.id)

    released = StockReleased(
        order_id=order.id,
        lines=[{"sku": "SKU-0", "quantity": "1"}, {"sku": "SKU-1", "quantity": "2"}],
    )
    done = await reactions.stock_released(
        uow, from_inventory(EventType.STOCK_RELEASED, released, order.id, 3)
    )

    assert (done.status, done.fulfilment) == (OrderStatus.CONCLUDED, Fulfilment.SHIPPED)
    assert [(line.sku, line.cancelled_quantity) for line in done.lines] == [
        ("SKU-0", D("1")),
        ("SKU-1", D("2")),
        ("SKU-2", D("0")),
    ]
    [completed] = [e for e in uow.outbox if e.type == EventType.ORDER_COMPLETED]
    snapshot = completed.data.order
    # What billing invoices: 1 of SKU-0 and the service; SKU-1 shipped nothing and is left out.
    assert [(line.line_no, line.sku, line.quantity) for line in snapshot.lines] == [
        (1, "SKU-0", D("1")),
        (3, "SKU-2", D("2")),
    ]
    assert snapshot.totals.gross == D("36.30")  # (10 + 20) × 1.21
    assert done.totals.gross == D("36.30")
    assert completed.causationid is not None


async def test_a_second_release_changes_nothing_and_completes_once(uow: Any) -> None:
    order = await a_partially_shipped_order(uow)
    await orders.close_short_order(uow, order.id, None)
    released = StockReleased(order_id=order.id, lines=[])
    await reactions.stock_released(
        uow, from_inventory(EventType.STOCK_RELEASED, released, order.id, 3)
    )
    await reactions.stock_released(
        uow, from_inventory(EventType.STOCK_RELEASED, released, order.id, 4)
    )
    assert [e.type for e in uow.outbox].count(EventType.ORDER_COMPLETED) == 1


async def test_a_shipment_still_on_its_way_counts_before_the_release(uow: Any) -> None:
    order = await a_partially_shipped_order(uow)
    await orders.close_short_order(uow, order.id, None)
    late = shipment_dispatched(order.id, "SHP-2", [("SKU-1", "2")], fully=False)
    await reactions.shipment_dispatched(
        uow, from_inventory(EventType.SHIPMENT_DISPATCHED, late, order.id, 3)
    )
    released = StockReleased(order_id=order.id, lines=[{"sku": "SKU-0", "quantity": "1"}])
    done = await reactions.stock_released(
        uow, from_inventory(EventType.STOCK_RELEASED, released, order.id, 4)
    )
    assert [line.due_quantity for line in done.lines] == [D("1"), D("2"), D("2")]


async def test_illegal_close_short_is_refused_and_changes_nothing(uow: Any) -> None:
    draft = await an_order(uow)
    with pytest.raises(IllegalTransition, match="only an open order"):
        await orders.close_short_order(uow, draft.id, None)

    await orders.confirm_order(uow, draft.id)
    with pytest.raises(IllegalTransition, match="cancel it instead"):
        await orders.close_short_order(uow, draft.id, None)  # nothing shipped yet

    order = await a_partially_shipped_order(uow)
    await orders.close_short_order(uow, order.id, None)
    with pytest.raises(IllegalTransition, match="already being closed short"):
        await orders.close_short_order(uow, order.id, None)
    with pytest.raises(IllegalTransition, match="goods have shipped"):
        await orders.cancel_order(uow, order.id, None)
    assert [e.type for e in uow.outbox].count(EventType.ORDER_CLOSED_SHORT) == 1


async def test_a_fully_shipped_order_is_completed_not_closed_short(uow: Any) -> None:
    order = await an_order(uow)
    await orders.confirm_order(uow, order.id)
    shipped = shipment_dispatched(order.id, "SHP-1", [("SKU-0", "2")], fully=True)
    await reactions.shipment_dispatched(
        uow, from_inventory(EventType.SHIPMENT_DISPATCHED, shipped, order.id, 1)
    )
    with pytest.raises(IllegalTransition, match="complete it instead"):
        await orders.close_short_order(uow, order.id, None)
    before = await orders.get_order(uow, order.id)
    assert before.closed_short_at is None
    assert before.status is OrderStatus.OPEN
