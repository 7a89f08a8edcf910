"""Several warehouses on the in-memory unit of work: the reservation rule (named warehouse, else
the default first, then by priority, split per SKU only where allowed), shipments leaving one
warehouse, transfers (in transit, then received, a ledger row on each side), deactivation."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from contracts import CloudEvent, EventType
from contracts.common import OrderSnapshot
from contracts.events import OrderCancelled
from inventory.domain.commands import (
    AdjustStock,
    CreateWarehouse,
    DispatchShipment,
    ReceiveTransfer,
    TransferStock,
    UpsertProduct,
)
from inventory.domain.model import (
    AdjustmentKind,
    ItemKind,
    MovementKind,
    StockLevel,
    StockRuleViolation,
)
from inventory.domain.warehouses import (
    TransferStatus,
    Warehouse,
    WarehouseRefused,
    allocate,
    candidates,
)
from inventory.service_layer import catalogue, reservations, shipments, stock, warehouses
from inventory.service_layer.reservations import ReservationOutcome
from servicekit.testing import from_orders, order_event

D = Decimal


def confirmation(
    *lines: tuple[str, str], warehouse: str | None = None, split: bool | None = None
) -> CloudEvent[Any]:
    order_id = str(uuid.uuid4())
    one, zero = {"net": "1", "tax": "0", "gross": "1"}, "0"
    order = OrderSnapshot.model_validate(
        {
            "order_id": order_id,
            "number": f"SO-{order_id[:4]}",
            "customer": {"id": "c", "name": "Customer"},
            "order_date": "2026-03-01",
            "currency": "EUR",
            "payment_terms": {},
            "totals": one,
            "warehouse": warehouse,
            "split_allowed": split,
            "lines": [
                {"line_no": n, "sku": sku, "kind": "product", "description": sku, "quantity": q}
                | {"unit_price": "1", "tax_rate": zero, "net_amount": "1"}
                | {"tax_amount": zero, "gross_amount": "1"}
                for n, (sku, q) in enumerate(lines, start=1)
            ],
        }
    )
    return order_event(EventType.ORDER_CONFIRMED, order)


async def setup(uow: Any, *stock_in: tuple[str, str, str]) -> None:
    """Warehouses WEST (priority 10) and EAST (20) next to MAIN; (warehouse, sku, on hand)."""
    for code, priority in (("WEST", 10), ("EAST", 20)):
        await warehouses.create_warehouse(
            uow, CreateWarehouse(code=code, name=code.title(), priority=priority)
        )
    for sku in sorted({sku for _w, sku, _q in stock_in}):
        await catalogue.upsert_product(uow, UpsertProduct(sku=sku, name=sku, kind=ItemKind.PRODUCT))
    for warehouse, sku, quantity in stock_in:
        await stock.adjust_stock(
            uow,
            AdjustStock(
                sku=sku,
                kind=AdjustmentKind.RECEIPT,
                quantity=D(quantity),
                reason="in",
                warehouse=warehouse,
            ),
        )


async def where(uow: Any, event: CloudEvent[Any]) -> dict[str, str]:
    lines = await uow.reservations.lines(str(event.subject))
    return {sku: line.warehouse for sku, line in lines.items()}


async def level(uow: Any, warehouse: str, sku: str) -> tuple[Decimal, Decimal]:
    found = await stock.get_stock(uow, sku, warehouse)
    return found.on_hand, found.reserved


def test_the_rule_tries_the_default_first_then_by_priority() -> None:
    known = [
        Warehouse("EAST", "East", priority=5),
        Warehouse("MAIN", "Main", is_default=True, priority=500),
        Warehouse("OLD", "Old", priority=1, active=False),
        Warehouse("WEST", "West", priority=5),
    ]
    assert candidates(known, None) == ["MAIN", "EAST", "WEST"]
    assert candidates(known, "WEST") == ["WEST"]
    assert candidates(known, "OLD") == []  # inactive: nowhere
    levels = {
        ("MAIN", "A"): StockLevel("A", D(1), D(0), "MAIN"),
        ("EAST", "A"): StockLevel("A", D(0), D(0), "EAST"),
        ("EAST", "B"): StockLevel("B", D(9), D(0), "EAST"),
        ("WEST", "A"): StockLevel("A", D(5), D(0), "WEST"),
        ("WEST", "B"): StockLevel("B", D(5), D(0), "WEST"),
    }
    order = candidates(known, None)
    assert allocate({"A": D(2), "B": D(2)}, levels, order, split=False) == {
        "A": "WEST",
        "B": "WEST",
    }
    assert allocate({"A": D(6), "B": D(2)}, levels, order, split=False) is None
    assert allocate({"A": D(1), "B": D(9)}, levels, order, split=False) is None
    assert allocate({"A": D(1), "B": D(9)}, levels, order, split=True) == {"A": "MAIN", "B": "EAST"}


async def test_an_order_is_reserved_in_the_next_warehouse_when_the_default_is_short(
    fake_uow: Any,
) -> None:
    await setup(fake_uow, ("MAIN", "BOLT", "2"), ("EAST", "BOLT", "10"), ("WEST", "BOLT", "3"))
    order = confirmation(("BOLT", "5"))

    assert await reservations.reserve_order(fake_uow, order) is ReservationOutcome.RESERVED

    assert await where(fake_uow, order) == {"BOLT": "EAST"}  # WEST (priority 10) has only 3
    assert await level(fake_uow, "EAST", "BOLT") == (D(10), D(5))
    assert await level(fake_uow, "MAIN", "BOLT") == (D(2), D(0))

    # It ships from there (the shipment names it), and fully.
    shipped = await shipments.dispatch_shipment(
        fake_uow, DispatchShipment(order_id=str(order.subject), lines=(("BOLT", D(5)),))
    )
    assert (shipped.warehouse, shipped.fully_shipped) == ("EAST", True)
    assert await level(fake_uow, "EAST", "BOLT") == (D(5), D(0))
    dispatched = [e for e in fake_uow.events if e.type == EventType.SHIPMENT_DISPATCHED.value]
    assert dispatched[-1].data.warehouse == "EAST"


async def test_a_named_warehouse_is_the_only_one_and_splitting_needs_permission(
    fake_uow: Any,
) -> None:
    await setup(fake_uow, ("MAIN", "BOLT", "10"), ("WEST", "NUT", "10"))
    named = confirmation(("BOLT", "1"), warehouse="WEST")
    assert await reservations.reserve_order(fake_uow, named) is ReservationOutcome.BACKORDERED

    whole = confirmation(("BOLT", "1"), ("NUT", "1"))
    assert await reservations.reserve_order(fake_uow, whole) is ReservationOutcome.BACKORDERED
    failed = [e for e in fake_uow.events if e.subject == whole.subject][-1]
    assert [s.sku for s in failed.data.shortages] == ["BOLT", "NUT"]

    split = confirmation(("BOLT", "1"), ("NUT", "1"), split=True)
    assert await reservations.reserve_order(fake_uow, split) is ReservationOutcome.RESERVED
    assert await where(fake_uow, split) == {"BOLT": "MAIN", "NUT": "WEST"}
    with pytest.raises(StockRuleViolation, match="a shipment leaves one warehouse"):
        await shipments.dispatch_shipment(
            fake_uow,
            DispatchShipment(order_id=str(split.subject), lines=(("BOLT", D(1)), ("NUT", D(1)))),
        )
    first = await shipments.dispatch_shipment(
        fake_uow,
        DispatchShipment(order_id=str(split.subject), lines=(("NUT", D(1)),), warehouse="WEST"),
    )
    assert (first.warehouse, first.fully_shipped) == ("WEST", False)

    # Cancelling releases in each warehouse what is held there.
    other = confirmation(("BOLT", "2"), ("NUT", "2"), split=True)
    await reservations.reserve_order(fake_uow, other)
    released = await reservations.release_order(fake_uow, reservations_cancel(other))
    assert released == {"BOLT": D(2), "NUT": D(2)}
    assert await level(fake_uow, "WEST", "NUT") == (D(9), D(0))


def reservations_cancel(confirmed: CloudEvent[Any]) -> CloudEvent[Any]:
    order_id = str(confirmed.subject)
    payload = OrderCancelled(order_id=order_id, number="SO-1", previous_status="open")
    return from_orders(EventType.ORDER_CANCELLED, payload, order_id)


async def test_a_transfer_is_in_transit_then_received_with_a_ledger_row_on_each_side(
    fake_uow: Any,
) -> None:
    await setup(fake_uow, ("MAIN", "BOLT", "10"))
    waiting = confirmation(("BOLT", "4"), warehouse="WEST")
    await reservations.reserve_order(fake_uow, waiting)  # nothing in WEST: backordered

    with pytest.raises(StockRuleViolation, match="cannot transfer 11: 10 available"):
        await warehouses.transfer_stock(
            fake_uow,
            TransferStock(from_warehouse="MAIN", to_warehouse="WEST", lines=(("BOLT", D(11)),)),
        )
    sent = await warehouses.transfer_stock(
        fake_uow,
        TransferStock(from_warehouse="MAIN", to_warehouse="WEST", lines=(("BOLT", D(6)),)),
    )
    assert sent.status is TransferStatus.IN_TRANSIT
    assert await level(fake_uow, "MAIN", "BOLT") == (D(4), D(0))
    assert await level(fake_uow, "WEST", "BOLT") == (D(0), D(0))  # in transit: nowhere

    received = await warehouses.receive_transfer(fake_uow, ReceiveTransfer(transfer_id=sent.id))

    assert received.status is TransferStatus.RECEIVED
    assert await level(fake_uow, "WEST", "BOLT") == (D(6), D(4))  # the waiting order got it
    assert await where(fake_uow, waiting) == {"BOLT": "WEST"}
    kinds = [(m.warehouse, m.kind, m.quantity_change) for m in fake_uow.stock.ledger]
    assert ("MAIN", MovementKind.TRANSFER_OUT, D(-6)) in kinds
    assert ("WEST", MovementKind.TRANSFER_IN, D(6)) in kinds
    types = [e.type for e in fake_uow.events]
    assert EventType.TRANSFER_DISPATCHED.value in types
    assert EventType.TRANSFER_RECEIVED.value in types
    assert types[-1] == EventType.STOCK_RESERVED.value
    with pytest.raises(Exception, match="already received"):
        await warehouses.receive_transfer(fake_uow, ReceiveTransfer(transfer_id=sent.id))


async def test_a_warehouse_holding_stock_cannot_be_deactivated(fake_uow: Any) -> None:
    await setup(fake_uow, ("WEST", "BOLT", "1"))
    with pytest.raises(WarehouseRefused, match="still holds stock"):
        await warehouses.deactivate_warehouse(fake_uow, "WEST")
    with pytest.raises(WarehouseRefused, match="default"):
        await warehouses.deactivate_warehouse(fake_uow, "MAIN")
    east = await warehouses.deactivate_warehouse(fake_uow, "EAST")
    assert east.active is False
    with pytest.raises(WarehouseRefused, match="inactive"):
        await stock.adjust_stock(
            fake_uow,
            AdjustStock(
                sku="BOLT",
                kind=AdjustmentKind.RECEIPT,
                quantity=D(1),
                reason="in",
                warehouse="EAST",
            ),
        )
    listed = [w.code for w in await warehouses.list_warehouses(fake_uow)]
    assert listed == ["MAIN", "WEST", "EAST"]
    await warehouses.update_warehouse(fake_uow, "EAST", name="East depot", priority=1)
    east_now = await warehouses.find_warehouse(fake_uow, "EAST")
    assert (east_now.name, east_now.priority, east_now.active) == ("East depot", 1, False)


def announced(uow: Any) -> list[tuple[str, bool, bool]]:
    """warehouse.changed as recorded: (code, is_default, active)."""
    return [
        (e.data.code, e.data.is_default, e.data.active)
        for e in uow.events
        if e.type == EventType.WAREHOUSE_CHANGED.value
    ]


async def test_reactivation_default_change_and_the_events_of_each(fake_uow: Any) -> None:
    await setup(fake_uow, ("MAIN", "BOLT", "5"))
    assert announced(fake_uow) == [("WEST", False, True), ("EAST", False, True)]
    with pytest.raises(WarehouseRefused, match="active already"):
        await warehouses.reactivate_warehouse(fake_uow, "EAST")
    await warehouses.deactivate_warehouse(fake_uow, "EAST")
    with pytest.raises(WarehouseRefused, match="inactive already"):
        await warehouses.deactivate_warehouse(fake_uow, "EAST")
    with pytest.raises(WarehouseRefused, match="reactivate it first"):
        await warehouses.make_default(fake_uow, "EAST")
    assert (await warehouses.reactivate_warehouse(fake_uow, "EAST")).active is True
    assert announced(fake_uow)[-2:] == [("EAST", False, False), ("EAST", False, True)]

    east = await warehouses.make_default(fake_uow, "EAST")
    assert east.is_default is True
    assert announced(fake_uow)[-2:] == [("MAIN", False, True), ("EAST", True, True)]
    defaults = [w.code for w in await warehouses.list_warehouses(fake_uow) if w.is_default]
    assert defaults == ["EAST"]
    count = len(fake_uow.events)
    await warehouses.make_default(fake_uow, "EAST")  # already: nothing changes
    assert len(fake_uow.events) == count
    with pytest.raises(WarehouseRefused, match="default"):
        await warehouses.deactivate_warehouse(fake_uow, "EAST")
    # The reservation rule now tries EAST first, then the old default.
    await stock.adjust_stock(
        fake_uow,
        AdjustStock(
            sku="BOLT", kind=AdjustmentKind.RECEIPT, quantity=D(3), reason="in", warehouse="EAST"
        ),
    )
    first, second = confirmation(("BOLT", "2")), confirmation(("BOLT", "2"))
    for order in (first, second):
        assert await reservations.reserve_order(fake_uow, order) is ReservationOutcome.RESERVED
    assert [await where(fake_uow, o) for o in (first, second)] == [
        {"BOLT": "EAST"},
        {"BOLT": "MAIN"},
    ]


async def test_a_warehouse_with_transfers_on_their_way_cannot_be_deactivated(
    fake_uow: Any,
) -> None:
    await setup(fake_uow, ("MAIN", "BOLT", "5"))
    sent = await warehouses.transfer_stock(
        fake_uow,
        TransferStock(from_warehouse="MAIN", to_warehouse="WEST", lines=(("BOLT", D(2)),)),
    )
    with pytest.raises(WarehouseRefused, match="on their way"):
        await warehouses.deactivate_warehouse(fake_uow, "WEST")
    await warehouses.receive_transfer(fake_uow, ReceiveTransfer(transfer_id=sent.id))
    with pytest.raises(WarehouseRefused, match="still holds stock"):
        await warehouses.deactivate_warehouse(fake_uow, "WEST")
    assert sent.status is TransferStatus.IN_TRANSIT
