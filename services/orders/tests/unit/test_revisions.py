"""Changing a confirmed order: the revision, its event, its timeline and its refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import an_order, shipment_dispatched

from contracts import EventType, new_event
from contracts.common import StockLine
from contracts.events import ReturnReceived, StockReservationChanged
from orders.domain.content import LineKind
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.order import Fulfilment, OrderStatus
from orders.domain.revisions import RevisedLine
from orders.service_layer import orders, reactions, revisions


async def an_open_order(uow: Any, *kinds: str) -> Any:
    order = await an_order(uow, *kinds)
    return await orders.confirm_order(uow, order.id)


def new_line(sku: str, quantity: str, price: str | None = "5.00") -> RevisedLine:
    return RevisedLine(
        sku=sku,
        kind=LineKind.PRODUCT,
        quantity=D(quantity),
        unit_price=D(price) if price else None,
        tax_rate=D("21"),
    )


async def test_a_revision_changes_quantities_adds_and_removes_lines(uow: Any) -> None:
    order = await an_open_order(uow, "product", "product")
    uow.actor = "alice"
    revised = await revisions.revise_confirmed_order(
        uow,
        order.id,
        {"order_date": date(2026, 12, 24)},
        [RevisedLine(line_no=1, quantity=D("5")), new_line("SKU-9", "3")],
    )
    assert [(line.line_no, line.sku, line.quantity) for line in revised.lines] == [
        (1, "SKU-0", D("5")),
        (3, "SKU-9", D("3")),
    ]
    assert revised.lines[0].unit_price == D("10.00")  # a kept line keeps its price
    assert revised.order_date == date(2026, 12, 24)
    assert revised.totals.net == D("65.00")
    event = uow.outbox[-1]
    assert event.type == EventType.ORDER_REVISED
    assert event.actor == "alice"
    assert event.data.revision == 1
    assert [line.quantity for line in event.data.order.lines] == [D("5"), D("3")]
    changes = {c.field: (c.before, c.after) for c in event.data.changes}
    assert changes["order_date"][1] == "2026-12-24"
    assert changes["lines.1.quantity"] == ("2", "5")
    assert changes["lines.2"][0] is not None
    assert changes["lines.2"][1] is None
    assert changes["lines.3"][0] is None
    assert "SKU-9" in str(changes["lines.3"][1])
    entry = (await uow.timeline(order.id))[-1]
    assert entry.summary.startswith("Revision 1: order_date ")
    assert entry.actor == "alice"

    again = await revisions.revise_confirmed_order(
        uow, order.id, {}, [RevisedLine(line_no=1, unit_price=D("9.50")), RevisedLine(line_no=3)]
    )
    assert again.lines[0].unit_price == D("9.50")
    listed = await revisions.order_revisions(uow, order.id)
    assert [(r.revision, r.actor) for r in listed] == [(1, "alice"), (2, "alice")]
    assert [c.field for c in listed[1].changes] == ["lines.1.unit_price"]


async def test_a_revision_never_goes_below_what_has_shipped(uow: Any) -> None:
    order = await an_open_order(uow, "product", "product")
    ship = new_event(
        EventType.SHIPMENT_DISPATCHED,
        shipment_dispatched(order.id, "s-1", [("SKU-0", "1"), ("SKU-1", "1")], fully=False),
        source="/inventory",
        subject=order.id,
    )
    await reactions.shipment_dispatched(uow, ship)
    published = len(uow.outbox)
    with pytest.raises(IllegalTransition) as below:
        await revisions.revise_confirmed_order(
            uow, order.id, {}, [RevisedLine(line_no=1, quantity=D("0.5")), RevisedLine(line_no=2)]
        )
    assert below.value.details["field"] == "lines.0.quantity"
    with pytest.raises(IllegalTransition):  # line 2 has shipped: it stays
        await revisions.revise_confirmed_order(uow, order.id, {}, [RevisedLine(line_no=1)])
    unchanged = await orders.get_order(uow, order.id)
    assert [line.quantity for line in unchanged.lines] == [D("2"), D("2")]
    assert len(uow.outbox) == published
    # Down to exactly what shipped: every line is shipped now.
    done = await revisions.revise_confirmed_order(
        uow,
        order.id,
        {},
        [RevisedLine(line_no=1, quantity=D("1")), RevisedLine(line_no=2, quantity=D("1"))],
    )
    assert done.fulfilment is Fulfilment.SHIPPED


async def test_a_revision_keeps_what_came_back(uow: Any) -> None:
    order = await an_open_order(uow, "product")
    ship = shipment_dispatched(order.id, "s-1", [("SKU-0", "2")], fully=True)
    await reactions.shipment_dispatched(
        uow,
        new_event(EventType.SHIPMENT_DISPATCHED, ship, source="/inventory", subject=order.id),
    )
    returned = ReturnReceived(
        return_id="r-1",
        number="RMA-2026-000001",
        order_id=order.id,
        reason="damaged",
        lines=[{"sku": "SKU-0", "quantity": "1", "disposition": "restock"}],
    )
    await reactions.return_received(
        uow, new_event(EventType.RETURN_RECEIVED, returned, source="/inventory", subject=order.id)
    )
    revised = await revisions.revise_confirmed_order(
        uow, order.id, {}, [RevisedLine(line_no=1, quantity=D("3"))]
    )
    line = revised.lines[0]
    assert (line.quantity, line.shipped_quantity, line.returned_quantity) == (D(3), D(2), D(1))


async def test_only_open_orders_are_revised(uow: Any) -> None:
    draft = await an_order(uow)
    with pytest.raises(IllegalTransition):
        await revisions.revise_confirmed_order(uow, draft.id, {}, [RevisedLine(line_no=1)])
    order = await an_open_order(uow)
    await orders.cancel_order(uow, order.id, "changed mind")
    with pytest.raises(IllegalTransition) as cancelled:
        await revisions.revise_confirmed_order(
            uow, order.id, {}, [RevisedLine(line_no=1, quantity=D("3"))]
        )
    assert cancelled.value.status is OrderStatus.CANCELLED


async def test_an_order_being_closed_short_is_not_revised(uow: Any) -> None:
    order = await an_open_order(uow, "product")
    ship = shipment_dispatched(order.id, "s-1", [("SKU-0", "1")], fully=False)
    await reactions.shipment_dispatched(
        uow,
        new_event(EventType.SHIPMENT_DISPATCHED, ship, source="/inventory", subject=order.id),
    )
    await orders.close_short_order(uow, order.id, "the rest is discontinued")
    published = len(uow.outbox)
    with pytest.raises(IllegalTransition, match="being closed short"):
        await revisions.revise_confirmed_order(
            uow, order.id, {}, [RevisedLine(line_no=1, quantity=D("3"))]
        )
    assert [line.quantity for line in (await orders.get_order(uow, order.id)).lines] == [D("2")]
    assert len(uow.outbox) == published


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([RevisedLine(line_no=7)], "lines.0.line_no"),
        ([RevisedLine(line_no=1), RevisedLine(line_no=1)], "lines.1.line_no"),
        ([RevisedLine(line_no=1, sku="OTHER")], "lines.0.sku"),
        ([RevisedLine(line_no=1), RevisedLine(sku="X", kind=LineKind.PRODUCT)], "lines.1.quantity"),
        ([RevisedLine(line_no=1, quantity=D("-1"))], "lines.0.quantity"),
        ([RevisedLine(line_no=1)], "lines"),  # changes nothing
    ],
)
async def test_bad_revisions_name_the_field(uow: Any, lines: list[RevisedLine], field: str) -> None:
    order = await an_open_order(uow)
    with pytest.raises(InvalidOrder) as raised:
        await revisions.revise_confirmed_order(uow, order.id, {}, lines)
    assert raised.value.field == field


async def test_inventory_answers_move_the_fulfilment(uow: Any) -> None:
    order = await an_open_order(uow)
    await revisions.revise_confirmed_order(
        uow, order.id, {}, [RevisedLine(line_no=1, quantity=D("9"))]
    )

    def changed(sequence: int, *, fully: bool, waiting: list[StockLine]) -> Any:
        payload = StockReservationChanged(
            order_id=order.id,
            revision=1,
            reserved=[StockLine(sku="SKU-0", quantity=D("1"))],
            waiting=waiting,
            fully_reserved=fully,
        )
        event = new_event(
            EventType.STOCK_RESERVATION_CHANGED, payload, source="/inventory", subject=order.id
        )
        return event.model_copy(update={"sequence": sequence})

    short = await reactions.stock_reservation_changed(
        uow, changed(2, fully=False, waiting=[StockLine(sku="SKU-0", quantity=D("6"))])
    )
    assert short.fulfilment is Fulfilment.BACKORDERED
    assert EventType.ORDER_BACKORDERED in uow.published_types()
    entry = (await uow.timeline(order.id))[-2]
    assert "waiting for stock SKU-0 6" in entry.summary
    whole = await reactions.stock_reservation_changed(uow, changed(3, fully=True, waiting=[]))
    assert whole.fulfilment is Fulfilment.RESERVED
