"""The inventory's use cases on the in-memory unit of work: reserve on confirmation (and
backorder), release on cancellation, ship, adjust, and the catalogue."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from inventory_builders import (
    cancellation,
    confirmation,
    level,
    product,
    receipt,
    types,
)

from contracts import EventType
from contracts.events import OrderClosedShort
from inventory.domain.commands import AdjustStock, DispatchShipment, UpsertProduct
from inventory.domain.model import (
    AdjustmentKind,
    DemandStatus,
    ItemKind,
    LineStatus,
    MovementKind,
    NotStocked,
    ShipmentExceedsReservation,
    StockLevel,
    StockRuleViolation,
    UnknownProduct,
)
from inventory.domain.records import ReservationFilter
from inventory.service_layer import catalogue, reservations, shipments, stock
from inventory.service_layer.locking import MoreLocksNeeded, with_restarts
from inventory.service_layer.reservations import ReservationOutcome
from servicekit.testing import from_orders

D = Decimal
ZERO = D(0)


# --- reserve on confirmation --------------------------------------------------------------------


async def test_a_confirmed_order_reserves_its_product_lines(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "10")
    await product(fake_uow, "NUT", "5")
    await product(fake_uow, "INSTALL", kind=ItemKind.SERVICE)
    order = confirmation(("BOLT", "3"), ("NUT", "2.5"), ("BOLT", "1"), ("INSTALL", "1"))

    outcome = await reservations.reserve_order(fake_uow, order)

    assert outcome is ReservationOutcome.RESERVED
    assert await level(fake_uow, "BOLT") == (D(10), D(4))
    assert await level(fake_uow, "NUT") == (D(5), D("2.5"))
    [reserved] = [e for e in fake_uow.events if e.subject == order.subject]
    assert reserved.type == EventType.STOCK_RESERVED.value
    assert (reserved.causationid, reserved.correlationid) == (order.id, order.correlationid)
    assert [(line.sku, line.quantity) for line in reserved.data.lines] == [
        ("BOLT", D(4)),
        ("NUT", D("2.5")),
    ]
    where = ReservationFilter(order_id=str(order.subject))
    lines, _ = await reservations.list_lines(fake_uow, where, limit=10)
    assert {(r.sku, r.status) for r in lines} == {
        ("BOLT", LineStatus.RESERVED),
        ("NUT", LineStatus.RESERVED),
    }
    ledger, _ = await stock.list_movements(fake_uow, "BOLT", limit=10)
    assert [(m.kind, m.quantity_change) for m in ledger] == [
        (MovementKind.RECEIPT, D(10)),
        (MovementKind.RESERVATION, D(4)),
    ]


async def test_the_same_confirmation_again_changes_nothing(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "10")
    order = confirmation(("BOLT", "2"))
    await reservations.reserve_order(fake_uow, order)
    redelivered = order.model_copy(update={"id": str(uuid.uuid4())})

    assert await reservations.reserve_order(fake_uow, redelivered) is (
        ReservationOutcome.ALREADY_HANDLED
    )
    assert await level(fake_uow, "BOLT") == (D(10), D(2))
    assert types(fake_uow, order.subject) == [EventType.STOCK_RESERVED.value]
    services_only = confirmation(services=("TRAVEL",))
    outcome = await reservations.reserve_order(fake_uow, services_only)
    assert outcome is ReservationOutcome.NOTHING_TO_RESERVE
    assert await fake_uow.reservations.lock_demand(str(services_only.subject)) is None


async def test_a_shortage_backorders_everything_until_a_receipt(fake_uow: Any) -> None:
    await product(fake_uow, "SCARCE", "3")
    await product(fake_uow, "PLENTY", "50")
    order = confirmation(("PLENTY", "5"), ("SCARCE", "5"), ("GHOST", "1"))

    assert await reservations.reserve_order(fake_uow, order) is ReservationOutcome.BACKORDERED

    [failed] = [e for e in fake_uow.events if e.subject == order.subject]
    assert failed.type == EventType.STOCK_RESERVATION_FAILED.value
    assert [(s.sku, s.requested, s.available) for s in failed.data.shortages] == [
        ("GHOST", D(1), ZERO),
        ("SCARCE", D(5), D(3)),
    ]
    assert await level(fake_uow, "PLENTY") == (D(50), ZERO)  # nothing reserved at all

    await product(fake_uow, "GHOST", "1")  # arrives, but SCARCE is still short
    assert types(fake_uow, order.subject) == [EventType.STOCK_RESERVATION_FAILED.value]
    adjustment = await stock.adjust_stock(fake_uow, receipt("SCARCE", "2"))

    assert adjustment.reserved_orders == (order.subject,)
    assert (adjustment.on_hand, adjustment.reserved) == (D(5), D(5))
    served = fake_uow.events[-1]
    assert (served.type, served.correlationid) == (
        EventType.STOCK_RESERVED.value,
        order.correlationid,
    )
    assert [line.sku for line in served.data.lines] == ["GHOST", "PLENTY", "SCARCE"]
    demand = await fake_uow.reservations.lock_demand(str(order.subject))
    assert demand.status is DemandStatus.RESERVED


async def test_the_waiting_orders_are_read_a_page_at_a_time_until_the_stock_is_used(
    fake_uow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reservations, "_BACKORDERS_PAGE", 2)
    await product(fake_uow, "CODE")
    waiting = [confirmation(("CODE", "1")) for _ in range(5)]
    for order in waiting:
        assert await reservations.reserve_order(fake_uow, order) is ReservationOutcome.BACKORDERED
    pages: list[dict[str, Any]] = []
    read = fake_uow.reservations.backorders_involving

    async def counted(skus: Any, **paging: Any) -> Any:
        if paging:  # a page of the queue, not the look-up of the SKUs to lock
            pages.append(paging)
        return await read(skus, **paging)

    monkeypatch.setattr(fake_uow.reservations, "backorders_involving", counted)

    one = await stock.adjust_stock(fake_uow, receipt("CODE", "1"))
    assert one.reserved_orders == (waiting[0].subject,)
    assert len(pages) == 1  # the unit went to the oldest: nothing more was read
    pages.clear()
    three = await stock.adjust_stock(fake_uow, receipt("CODE", "3"))
    assert three.reserved_orders == tuple(order.subject for order in waiting[1:4])
    assert [page["limit"] for page in pages] == [2, 2]
    assert pages[1]["after"] > 0
    assert await level(fake_uow, "CODE") == (D(4), D(4))


async def test_an_order_cancelled_before_its_turn_is_locked_lets_the_next_one_fit(
    fake_uow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await product(fake_uow, "CODE")
    first, second = confirmation(("CODE", "2")), confirmation(("CODE", "2"))
    for order in (first, second):
        await reservations.reserve_order(fake_uow, order)
    lock = fake_uow.reservations.lock_backordered_demands

    async def cancelled_meanwhile(order_ids: Any) -> Any:
        if first.subject in order_ids:  # between the unlocked read and the lock
            await fake_uow.reservations.set_demand_status(first.subject, DemandStatus.CANCELLED)
        return await lock(order_ids)

    monkeypatch.setattr(fake_uow.reservations, "lock_backordered_demands", cancelled_meanwhile)

    adjustment = await stock.adjust_stock(fake_uow, receipt("CODE", "2"))

    assert adjustment.reserved_orders == (second.subject,)
    assert await level(fake_uow, "CODE") == (D(2), D(2))
    ledger = [m for m in fake_uow.stock.ledger if m.kind is MovementKind.RESERVATION]
    assert [(m.order_id, m.reserved) for m in ledger] == [(second.subject, D(2))]


# --- release on cancellation --------------------------------------------------------------------


async def test_a_cancellation_releases_and_serves_the_waiting_order(fake_uow: Any) -> None:
    await product(fake_uow, "CODE", "10")
    first, waiting = confirmation(("CODE", "8")), confirmation(("CODE", "5"))
    await reservations.reserve_order(fake_uow, first)
    assert await reservations.reserve_order(fake_uow, waiting) is ReservationOutcome.BACKORDERED

    released = await reservations.release_order(fake_uow, cancellation(first))

    assert released == {"CODE": D(8)}
    assert types(fake_uow, first.subject)[-1] == EventType.STOCK_RELEASED.value
    assert types(fake_uow, waiting.subject)[-1] == EventType.STOCK_RESERVED.value
    assert await level(fake_uow, "CODE") == (D(10), D(5))
    lines = await fake_uow.reservations.lines(str(first.subject))
    assert (lines["CODE"].status, lines["CODE"].released) == (LineStatus.RELEASED, D(8))
    assert await reservations.release_order(fake_uow, cancellation(first)) == {}  # again: no-op


async def test_cancelling_a_backorder_drops_it_without_an_event(fake_uow: Any) -> None:
    await product(fake_uow, "CODE", "1")
    never = confirmation(("CODE", "50"))
    await reservations.reserve_order(fake_uow, never)

    assert await reservations.release_order(fake_uow, cancellation(never)) == {}

    assert await fake_uow.reservations.lines(str(never.subject)) == {}
    assert types(fake_uow, never.subject) == [EventType.STOCK_RESERVATION_FAILED.value]


async def test_a_cancellation_before_the_confirmation_is_remembered(fake_uow: Any) -> None:
    await product(fake_uow, "CODE", "10")
    order = confirmation(("CODE", "2"))
    assert await reservations.release_order(fake_uow, cancellation(order)) == {}

    outcome = await reservations.reserve_order(fake_uow, order)  # arrives late

    assert outcome is ReservationOutcome.ALREADY_HANDLED
    assert await level(fake_uow, "CODE") == (D(10), ZERO)


async def test_an_order_of_services_only_has_nothing_to_reserve_at_once(fake_uow: Any) -> None:
    await product(fake_uow, "INSTALL", kind=ItemKind.SERVICE)
    order = confirmation(("INSTALL", "1"), services=("TRAVEL",))  # a product line, not stocked

    outcome = await reservations.reserve_order(fake_uow, order)

    assert outcome is ReservationOutcome.NOTHING_TO_RESERVE
    answer = [e for e in fake_uow.events if e.subject == order.subject]
    assert [(e.type, e.data.lines, e.causationid) for e in answer] == [
        (EventType.STOCK_RESERVED.value, [], order.id)
    ]
    cancelled_first = confirmation(("INSTALL", "2"))
    await reservations.release_order(fake_uow, cancellation(cancelled_first))
    outcome = await reservations.reserve_order(fake_uow, cancelled_first)  # arrives late
    assert outcome is ReservationOutcome.ALREADY_HANDLED
    assert types(fake_uow, cancelled_first.subject) == []


async def test_closing_short_releases_the_unshipped_remainder_and_always_answers(
    fake_uow: Any,
) -> None:
    await product(fake_uow, "BOLT", "10")
    order = confirmation(("BOLT", "6"))
    order_id = str(order.subject)
    await reservations.reserve_order(fake_uow, order)
    await shipments.dispatch_shipment(
        fake_uow, DispatchShipment(order_id=order_id, lines=(("BOLT", D(4)),))
    )
    payload = OrderClosedShort(order_id=order_id, number="SO-1", remainder=[])
    closed = from_orders(EventType.ORDER_CLOSED_SHORT, payload, order_id)

    assert await reservations.release_order(fake_uow, closed) == {"BOLT": D(2)}
    assert await level(fake_uow, "BOLT") == (D(6), ZERO)
    released = [e for e in fake_uow.events if e.type == EventType.STOCK_RELEASED.value]
    assert [(line.sku, line.quantity) for line in released[0].data.lines] == [("BOLT", D(2))]

    # Nothing left to release: still answered (the order completes on that answer).
    assert await reservations.release_order(fake_uow, closed) == {}
    assert types(fake_uow, order_id)[-2:] == [EventType.STOCK_RELEASED.value] * 2


# --- ship ---------------------------------------------------------------------------------------


async def test_partial_then_full_shipment_and_over_shipping(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "100")
    await product(fake_uow, "NUT", "50")
    order = confirmation(("BOLT", "10"), ("NUT", "4"))
    order_id = str(order.subject)
    await reservations.reserve_order(fake_uow, order)

    def shipment(*lines: tuple[str, str]) -> DispatchShipment:
        return DispatchShipment(order_id=order_id, lines=tuple((s, D(q)) for s, q in lines))

    first = await shipments.dispatch_shipment(fake_uow, shipment(("BOLT", "6")))
    assert (first.lines, first.fully_shipped) == ({"BOLT": D(6)}, False)
    with pytest.raises(ShipmentExceedsReservation) as over:
        await shipments.dispatch_shipment(fake_uow, shipment(("NUT", "1"), ("BOLT", "4.5")))
    assert over.value.sku == "BOLT"
    assert await level(fake_uow, "BOLT") == (D(94), D(4))
    assert await level(fake_uow, "NUT") == (D(50), D(4))  # nothing of the refused one shipped

    second = await shipments.dispatch_shipment(fake_uow, shipment(("BOLT", "4"), ("NUT", "4")))
    assert second.fully_shipped
    assert await level(fake_uow, "BOLT") == (D(90), ZERO)
    dispatched = [e for e in fake_uow.events if e.type == EventType.SHIPMENT_DISPATCHED.value]
    assert [(e.subject, e.data.shipment_id) for e in dispatched] == [
        (order_id, first.id),
        (order_id, second.id),
    ]
    listed, more = await shipments.list_shipments(fake_uow, limit=10, order_id=order_id)
    assert ({s.id for s in listed}, more) == ({first.id, second.id}, False)
    assert await shipments.get_shipment(fake_uow, second.id) == second


# --- adjust -------------------------------------------------------------------------------------


async def test_adjustments_never_go_below_zero_or_below_reserved(fake_uow: Any) -> None:
    await product(fake_uow, "CABLE", "5")
    await reservations.reserve_order(fake_uow, confirmation(("CABLE", "2")))

    with pytest.raises(StockRuleViolation):
        await stock.adjust_stock(
            fake_uow,
            AdjustStock(sku="CABLE", kind=AdjustmentKind.DAMAGE, quantity=D(4), reason="dropped"),
        )
    counted = await stock.adjust_stock(
        fake_uow,
        AdjustStock(
            sku="CABLE", kind=AdjustmentKind.COUNT_CORRECTION, quantity=D(2), reason="count"
        ),
    )
    assert (counted.quantity_change, counted.on_hand, counted.available) == (D(-3), D(2), ZERO)
    adjusted = [e for e in fake_uow.events if e.type == EventType.STOCK_ADJUSTED.value]
    assert [(key, e.data.on_hand) for e, key in fake_uow.recorded if e in adjusted] == [
        ("CABLE", D(5)),
        ("CABLE", D(2)),
    ]


async def test_only_known_stocked_products_are_adjusted(fake_uow: Any) -> None:
    await product(fake_uow, "TRAVEL", kind=ItemKind.SERVICE)
    with pytest.raises(UnknownProduct):
        await stock.adjust_stock(fake_uow, receipt("NOPE", "1"))
    with pytest.raises(NotStocked):
        await stock.adjust_stock(fake_uow, receipt("TRAVEL", "1"))
    with pytest.raises(NotStocked):
        await stock.get_stock(fake_uow, "TRAVEL")
    assert [e.type for e in fake_uow.events] == [EventType.PRODUCT_CHANGED.value]  # its creation


# --- catalogue ----------------------------------------------------------------------------------


async def test_a_product_with_stock_cannot_become_a_service(fake_uow: Any) -> None:
    command = UpsertProduct(sku="CABLE", name="Cable", kind=ItemKind.PRODUCT)
    created, is_new = await catalogue.upsert_product(fake_uow, command)
    assert is_new
    assert await stock.get_stock(fake_uow, "CABLE") == StockLevel("CABLE", ZERO, ZERO)
    await stock.adjust_stock(fake_uow, receipt("CABLE", "1"))

    as_service = UpsertProduct(sku="CABLE", name="Cable", kind=ItemKind.SERVICE)
    with pytest.raises(StockRuleViolation):
        await catalogue.upsert_product(fake_uow, as_service)
    renamed, is_new = await catalogue.upsert_product(
        fake_uow, UpsertProduct(sku="CABLE", name="Cable 2m", kind=ItemKind.PRODUCT)
    )
    assert (renamed.name, renamed.created_at, is_new) == ("Cable 2m", created.created_at, False)


# --- restarts with more locks -------------------------------------------------------------------


async def test_a_restart_undoes_the_attempt_and_locks_more(fake_uow: Any) -> None:
    await product(fake_uow, "A", "1")
    asked: list[set[str]] = []

    async def attempt(extra: set[str]) -> str:
        asked.append(extra)
        await stock.adjust_stock(fake_uow, receipt("A", "1"))  # undone by the restart
        if not extra:
            raise MoreLocksNeeded({"B"})
        return "done"

    assert await with_restarts(fake_uow, attempt) == "done"
    assert asked == [set(), {"B"}]
    assert await level(fake_uow, "A") == (D(2), ZERO)  # one receipt kept, not two
