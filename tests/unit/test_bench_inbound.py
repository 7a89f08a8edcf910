"""The bench's inbound phase (`--inbound N`): the submissions it sends, how it follows their
orders on the suite's topics, its rows and the CPU each submission took; and the backlog phase
(`--backlog N`), whose submitted orders wait for stock until one receipt serves them."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from contracts import EventType
from contracts.common import CustomerRef, OrderSnapshot, PaymentTerms, StockLine, Totals
from contracts.envelope import event_model, new_event
from contracts.events import (
    OrderConfirmed,
    OrderCreated,
    Shortage,
    StockReservationFailed,
    StockReserved,
)


def snapshot(order_id: str) -> OrderSnapshot:
    return OrderSnapshot(
        order_id=order_id,
        number="SO-2026-000001",
        customer=CustomerRef(id="customer-1", name="Shop customer"),
        order_date=date(2026, 12, 7),
        currency="EUR",
        payment_terms=PaymentTerms(days=30, text="Net 30 days"),
        lines=[],
        totals=Totals(net=Decimal("0"), tax=Decimal("0"), gross=Decimal("0")),
    )


def encoded(event_type: str, payload: Any, source: str, order_id: str) -> bytes:
    return (
        new_event(event_type, payload, source=source, subject=order_id).model_dump_json().encode()
    )


def created(order_id: str, reference: str) -> bytes:
    payload = OrderCreated(order=snapshot(order_id), external_reference=reference)
    return encoded(EventType.ORDER_CREATED, payload, "/orders", order_id)


def confirmed(order_id: str) -> bytes:
    return encoded(
        EventType.ORDER_CONFIRMED, OrderConfirmed(order=snapshot(order_id)), "/orders", order_id
    )


def reserved(order_id: str) -> bytes:
    payload = StockReserved(order_id=order_id, lines=[StockLine(sku="DRILL", quantity=1)])
    return encoded(EventType.STOCK_RESERVED, payload, "/inventory", order_id)


def reservation_failed(order_id: str) -> bytes:
    shortage = Shortage(sku="DRILL", requested=Decimal("1"), available=Decimal("0"))
    payload = StockReservationFailed(order_id=order_id, shortages=[shortage])
    return encoded(EventType.STOCK_RESERVATION_FAILED, payload, "/inventory", order_id)


def test_a_submission_is_an_order_submitted_event_the_contract_accepts(bench: ModuleType) -> None:
    message = bench.submitted_order("SHOP-1", "shop-1@example.com", "DRILL")

    event = event_model(EventType.ORDER_SUBMITTED).model_validate_json(message)
    assert event.type == EventType.ORDER_SUBMITTED
    assert event.subject == "SHOP-1"
    assert event.data.external_reference == "SHOP-1"
    assert event.data.customer.email == "shop-1@example.com"
    assert event.data.confirm is True
    assert [line.sku for line in event.data.lines] == ["DRILL", "SETUP"]


async def test_each_step_resolves_with_when_it_was_seen_in_whatever_order_events_come(
    bench: ModuleType,
) -> None:
    watcher = bench.SubmissionWatcher(0.1)
    waits = {step: watcher.expect("SHOP-1", step) for step in bench.SUBMISSION_STEPS}
    other = watcher.expect("SHOP-2", "created")
    await watcher.stop()  # the futures are resolved by hand here, not by its polling task

    # inventory's topic read ahead of orders': the reservation comes before the order is known
    watcher.note(reserved("order-1"), 3.0)
    watcher.resolve()
    assert not any(future.done() for future in waits.values())

    watcher.note(created("order-1", "SHOP-1"), 1.0)
    watcher.note(confirmed("order-1"), 2.0)
    watcher.note(created("order-1", "SHOP-1"), 9.0)  # delivered again: no news
    watcher.note(b'{"type": "suite.order.cancelled.v1", "data": {"order_id": "order-1"}}', 4.0)
    watcher.resolve()

    assert {step: future.result() for step, future in waits.items()} == {
        "created": 1.0,
        "confirmed": 2.0,
        "reserved": 3.0,
    }
    assert watcher.order_of == {"SHOP-1": "order-1"}
    assert not other.done()
    assert watcher.waiting_futures() == [other]


async def test_an_order_inventory_cannot_reserve_fails_the_phase_naming_it(
    bench: ModuleType,
) -> None:
    watcher = bench.SubmissionWatcher(0.1)
    waiting = watcher.expect("SHOP-3", "reserved")
    await watcher.stop()
    watcher.note(created("order-3", "SHOP-3"), 1.0)
    watcher.note(reservation_failed("order-3"), 2.0)
    watcher.resolve()

    with pytest.raises(bench.BenchError, match="SHOP-3 not reserved"):
        await asyncio.wait_for(waiting, 1)


def inbound_figures() -> dict[str, Any]:
    return {
        "orders": 1000,
        "customers": 20,
        "created_per_s": 250.0,
        "confirmed_per_s": 240.0,
        "reserved_per_s": 200.0,
        "latency": {"p50_ms": 2500.0, "p99_ms": 4900.0},
    }


def test_each_submission_costs_the_cpu_between_the_marks_over_the_submissions(
    bench: ModuleType,
) -> None:
    inbound = inbound_figures()
    cpu = {"orders": 2.0, "inventory": 1.0, "documents": 9.0, "postgresql": 3.0, "kafka": 1.0}
    bench.inbound_cpu(inbound, cpu)

    assert inbound["cpu_ms_per_submission"]["orders"] == pytest.approx(2.0)
    assert inbound["service_cpu_ms_per_submission"] == pytest.approx(12.0)
    assert inbound["box_cpu_ms_per_submission"] == pytest.approx(16.0)
    created, reserved, p99, orders, services, box = bench.inbound_rows(inbound, 10_000.0)
    assert created.figure == "inbound: 1,000 submitted at once → created"
    assert (created.value, created.ratio) == (250.0, pytest.approx(0.025))
    assert (reserved.value, reserved.ratio) == (200.0, pytest.approx(0.02))
    assert p99.value == 4900.0
    assert (orders.value, services.value, box.value) == (
        pytest.approx(2.0),
        pytest.approx(12.0),
        pytest.approx(16.0),
    )


def test_without_the_phase_there_are_no_inbound_rows(bench: ModuleType) -> None:
    assert bench.inbound_rows(None, 10_000.0) == []


async def test_a_backlog_order_is_backordered_then_reserved_when_stock_comes(
    bench: ModuleType,
) -> None:
    watcher = bench.SubmissionWatcher(0.1, backorders_expected=True)
    backordered = watcher.expect("SHOP-4", "backordered")
    await watcher.stop()
    watcher.note(created("order-4", "SHOP-4"), 1.0)
    watcher.note(reservation_failed("order-4"), 2.0)
    served = watcher.expect("SHOP-4", "reserved")
    watcher.resolve()
    assert backordered.result() == 2.0
    assert not served.done()  # it waits for the receipt, not failed

    watcher.note(reserved("order-4"), 5.0)
    watcher.resolve()
    assert served.result() == 5.0


def test_the_backlog_rows_tell_the_orders_served_a_second_and_their_cpu(
    bench: ModuleType,
) -> None:
    backlog = {
        "orders": 5000,
        "answered_after_s": 2.0,
        "served_per_s": 2500.0,
        "all_reserved_after_s": 8.0,
        "reserved_per_s": 625.0,
    }
    cpu = {"inventory": 1.5, "orders": 4.0, "postgresql": 2.0, "kafka": 0.5}
    bench.add_cpu_per(backlog, "order_served", cpu)

    answered, all_reserved, inventory, box = bench.backlog_rows(backlog, "PostgreSQL TPC-B", 1250.0)
    assert answered.figure == "backlog: 5,000 waiting orders, one receipt → answered"
    assert (answered.value, answered.ratio) == (2500.0, pytest.approx(2.0))
    assert (all_reserved.value, all_reserved.ratio) == (625.0, pytest.approx(0.5))
    assert inventory.value == pytest.approx(0.3)
    assert box.value == pytest.approx(1.6)
    assert bench.backlog_rows(None, "PostgreSQL TPC-B", 1250.0) == []
