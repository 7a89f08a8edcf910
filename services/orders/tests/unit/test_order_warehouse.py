"""An order may name the warehouse it is reserved and shipped from (and allow splitting):
inventory reads both from the confirmed order's snapshot. The warehouse must be one the view
of warehouses (fed by warehouse.changed) knows as active."""

from __future__ import annotations

from typing import Any

import pytest
from orders_builders import an_order

from contracts import EventType, new_event
from contracts.events import WarehouseChanged
from orders.domain.errors import IllegalTransition, InvalidOrder
from orders.domain.order import OrderStatus
from orders.service_layer import catalogue, orders


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


def announced(code: str, *, sequence: int, active: bool = True) -> Any:
    data = WarehouseChanged(code=code, name=code.title(), active=active)
    event = new_event(EventType.WAREHOUSE_CHANGED, data, source="/inventory", subject=code)
    return event.model_copy(update={"sequence": sequence})


async def test_an_order_names_only_a_known_active_warehouse(uow: Any) -> None:
    uow.catalogue_required = True  # the view is fed by inventory's events
    assert (await an_order(uow, "service", warehouse="MAIN")).warehouse == "MAIN"  # from start
    with pytest.raises(InvalidOrder) as unknown:
        await an_order(uow, "service", warehouse="EAST")
    assert unknown.value.field == "warehouse"

    assert await catalogue.warehouse_changed(uow, announced("EAST", sequence=2))
    order = await an_order(uow, "service", warehouse="EAST")
    assert not await catalogue.warehouse_changed(uow, announced("EAST", sequence=1, active=False))
    assert (await uow.catalogue.warehouse("EAST")).active is True  # a stale event changes nothing

    assert await catalogue.warehouse_changed(uow, announced("EAST", sequence=3, active=False))
    with pytest.raises(IllegalTransition, match="inactive") as inactive:
        await orders.confirm_order(uow, order.id)  # deactivated since the draft was made
    assert inactive.value.details == {"warehouse": "EAST"}
    assert (await orders.get_order(uow, order.id)).status is OrderStatus.DRAFT
    draft = await an_order(uow, "service")
    with pytest.raises(InvalidOrder, match="inactive"):
        await orders.revise_order(uow, draft.id, {"warehouse": "EAST"}, None)
    await orders.revise_order(uow, order.id, {"warehouse": None}, None)  # inventory's rule
    assert (await orders.confirm_order(uow, order.id)).warehouse is None
