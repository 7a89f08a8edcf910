"""An order may name the warehouse it is reserved and shipped from (and allow splitting):
inventory reads both from the confirmed order's snapshot."""

from __future__ import annotations

from typing import Any

from orders_builders import an_order

from contracts import EventType
from orders.service_layer import orders


async def test_the_named_warehouse_travels_in_the_snapshot_and_copies(uow: Any) -> None:
    order = await an_order(uow, warehouse="WEST", split_allowed=True)
    await orders.confirm_order(uow, order.id)
    [confirmed] = [e for e in uow.outbox if e.type == EventType.ORDER_CONFIRMED]
    assert (confirmed.data.order.warehouse, confirmed.data.order.split_allowed) == ("WEST", True)

    copy = await orders.copy_order(uow, order.id)
    assert (copy.warehouse, copy.split_allowed) == ("WEST", True)

    plain = await an_order(uow)
    await orders.confirm_order(uow, plain.id)
    snapshot = [e for e in uow.outbox if e.type == EventType.ORDER_CONFIRMED][-1].data.order
    assert (snapshot.warehouse, snapshot.split_allowed) == (None, None)  # inventory's rule


async def test_a_draft_may_change_its_warehouse(uow: Any) -> None:
    order = await an_order(uow)
    changed = await orders.revise_order(uow, order.id, {"warehouse": "EAST"}, None)
    assert changed.warehouse == "EAST"
