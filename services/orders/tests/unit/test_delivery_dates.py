"""Requested and promised delivery dates, on an order and on its lines: never before the order
date, carried in the snapshot, left behind by a copy, moved by a revision (with its returned and
shipped quantities kept)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import an_order, lines, shipment_dispatched

from contracts import EventType, new_event
from contracts.events import ReturnReceived
from orders.domain.content import build_lines, check_delivery_dates
from orders.domain.errors import InvalidOrder
from orders.domain.revisions import RevisedLine
from orders.service_layer import orders, reactions, revisions

DAY = date(2026, 12, 1)


def dated_lines() -> list[Any]:
    first, second = lines("product", "product")
    return [
        replace(first, promised_delivery_date=date(2026, 12, 10)),
        replace(second, requested_delivery_date=date(2026, 12, 5)),
    ]


async def a_dated_order(uow: Any, **fields: Any) -> Any:
    order = await an_order(
        uow,
        order_date=DAY,
        requested_delivery_date=date(2026, 12, 8),
        promised_delivery_date=date(2026, 12, 12),
        **fields,
    )
    return await orders.revise_order(uow, order.id, {}, dated_lines())


def test_a_delivery_date_before_the_order_date_is_refused_naming_it() -> None:
    check_delivery_dates(DAY, {"promised_delivery_date": DAY}, [])  # the same day is fine
    with pytest.raises(InvalidOrder) as header:
        check_delivery_dates(DAY, {"requested_delivery_date": date(2026, 11, 30)}, [])
    assert header.value.field == "requested_delivery_date"
    early = replace(lines()[0], promised_delivery_date=date(2026, 11, 2))
    built = build_lines([lines()[0], early])
    with pytest.raises(InvalidOrder) as line:
        check_delivery_dates(DAY, {}, built)
    assert line.value.field == "lines.1.promised_delivery_date"
    assert "2026-12-01" in line.value.message


async def test_dates_are_kept_and_travel_in_the_snapshot(uow: Any) -> None:
    order = await a_dated_order(uow)
    assert (order.requested_delivery_date, order.promised_delivery_date) == (
        date(2026, 12, 8),
        date(2026, 12, 12),
    )
    assert [
        (line.requested_delivery_date, line.promised_delivery_date) for line in order.lines
    ] == [
        (None, date(2026, 12, 10)),
        (date(2026, 12, 5), None),
    ]
    await orders.confirm_order(uow, order.id)
    [confirmed] = [e for e in uow.outbox if e.type == EventType.ORDER_CONFIRMED]
    snapshot = confirmed.data.order
    assert snapshot.promised_delivery_date == date(2026, 12, 12)
    assert snapshot.requested_delivery_date == date(2026, 12, 8)
    assert [line.promised_delivery_date for line in snapshot.lines] == [date(2026, 12, 10), None]


async def test_creating_or_editing_a_draft_checks_the_dates(uow: Any) -> None:
    with pytest.raises(InvalidOrder) as created:
        await an_order(uow, order_date=DAY, promised_delivery_date=date(2026, 11, 1))
    assert created.value.field == "promised_delivery_date"
    order = await a_dated_order(uow)
    with pytest.raises(InvalidOrder) as moved:  # the order date moved past a line's promise
        await orders.revise_order(uow, order.id, {"order_date": date(2026, 12, 11)}, None)
    assert moved.value.field == "requested_delivery_date"
    unset = {"requested_delivery_date": None, "promised_delivery_date": None}
    cleared = await orders.revise_order(uow, order.id, unset, None)
    assert (cleared.requested_delivery_date, cleared.promised_delivery_date) == (None, None)
    with pytest.raises(InvalidOrder) as line:
        await orders.revise_order(uow, order.id, {"order_date": date(2026, 12, 11)}, None)
    assert line.value.field == "lines.0.promised_delivery_date"


async def test_a_copy_is_delivered_when_it_says(uow: Any) -> None:
    order = await a_dated_order(uow)
    copy = await orders.copy_order(uow, order.id)
    assert (copy.requested_delivery_date, copy.promised_delivery_date) == (None, None)
    assert all(line.promised_delivery_date is None for line in copy.lines)


async def test_a_revision_moves_a_promise_and_keeps_what_shipped_and_came_back(uow: Any) -> None:
    order = await a_dated_order(uow)
    await orders.confirm_order(uow, order.id)
    shipped = shipment_dispatched(order.id, "s-1", [("SKU-0", "2")], fully=False)
    await reactions.shipment_dispatched(
        uow,
        new_event(EventType.SHIPMENT_DISPATCHED, shipped, source="/inventory", subject=order.id),
    )
    returned = ReturnReceived(
        return_id="r-1",
        number="RMA-2026-000001",
        order_id=order.id,
        reason="wrong size",
        lines=[{"sku": "SKU-0", "quantity": "1", "disposition": "restock"}],
    )
    await reactions.return_received(
        uow, new_event(EventType.RETURN_RECEIVED, returned, source="/inventory", subject=order.id)
    )
    uow.actor = "alice"
    revised = await revisions.revise_confirmed_order(
        uow,
        order.id,
        {"promised_delivery_date": date(2026, 12, 19)},
        [
            RevisedLine(line_no=1),
            RevisedLine(line_no=2, promised_delivery_date=date(2026, 12, 18)),
        ],
    )
    assert revised.promised_delivery_date == date(2026, 12, 19)
    first, second = revised.lines
    assert (first.shipped_quantity, first.returned_quantity) == (D("2"), D("1"))
    assert first.promised_delivery_date == date(2026, 12, 10)  # not given: kept
    assert second.requested_delivery_date == date(2026, 12, 5)
    assert second.promised_delivery_date == date(2026, 12, 18)
    event = uow.outbox[-1]
    assert event.type == EventType.ORDER_REVISED
    assert event.data.order.promised_delivery_date == date(2026, 12, 19)
    changes = {c.field: (c.before, c.after) for c in event.data.changes}
    assert changes == {
        "promised_delivery_date": ("2026-12-12", "2026-12-19"),
        "lines.2.promised_delivery_date": (None, "2026-12-18"),
    }
    entry = (await uow.timeline(order.id))[-1]
    assert "promised_delivery_date 2026-12-12 → 2026-12-19" in entry.summary

    with pytest.raises(InvalidOrder) as early:
        await revisions.revise_confirmed_order(
            uow, order.id, {}, [RevisedLine(line_no=1, promised_delivery_date=date(2026, 11, 1))]
        )
    assert early.value.field == "lines.0.promised_delivery_date"
    with pytest.raises(InvalidOrder) as same:
        await revisions.revise_confirmed_order(
            uow, order.id, {"promised_delivery_date": date(2026, 12, 19)}, None
        )
    assert same.value.field == "promised_delivery_date"
