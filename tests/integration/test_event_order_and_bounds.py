"""State derived from events never moves backwards, an order with nothing to reserve is reserved
at once and completes without a shipment, and an order whose event would be too large for the
broker is refused at the API without holding up the orders behind it. The four services run as
separate processes."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaProducer

from contracts import EventType, new_event
from contracts.events import ShipmentDispatched
from servicekit.outbox import MAX_EVENT_BYTES
from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle


async def service_sku(suite: Suite) -> str:
    """A SKU inventory knows as a service: nothing of it is ever stocked."""
    code = lifecycle.sku()
    async with suite.client("inventory") as inventory:
        created = await inventory.put(
            f"/products/{code}", json={"name": "Setup", "kind": "service"}
        )
        assert created.status_code in (200, 201), created.text
    await lifecycle.catalogued(suite, code)  # product lines name items orders knows
    return code


async def reserved_with_nothing_to_reserve(
    suite: Suite, code: str, buyer: dict[str, Any], quantity: str
) -> dict[str, Any]:
    """A confirmed order of one product line of the service SKU `code`: inventory answers
    "nothing to reserve" (a stock.reserved without lines) and the order is reserved."""
    order = await lifecycle.create_order(
        suite, buyer["id"], [lifecycle.product_line(code, quantity)]
    )
    confirmed = await lifecycle.order_action(suite, order["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    return await lifecycle.order_reaches(suite, order["id"], within=30, fulfilment="reserved")


async def timeline(suite: Suite, order_id: str) -> list[dict[str, Any]]:
    async with suite.client("orders") as orders:
        response = await orders.get(f"/orders/{order_id}/timeline")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


async def test_a_stale_shipment_after_the_last_leaves_the_order_shipped(suite: Suite) -> None:
    # An order of two units of a product line that inventory knows as a service.
    code = await service_sku(suite)
    order = await reserved_with_nothing_to_reserve(
        suite, code, await lifecycle.customer(suite), "2"
    )
    reserved = [
        e for e in await timeline(suite, order["id"]) if e["type"] == "suite.stock.reserved.v1"
    ]
    assert [(e["data"]["lines"], e["sequence"]) for e in reserved] == [([], 1)]

    # Two shipments reach orders in the wrong order: the last one (numbered 3 by inventory)
    # first, then the earlier partial one (numbered 2), as two relays could once publish them.
    def dispatched(shipment_id: str, fully: bool, sequence: int) -> bytes:
        payload = ShipmentDispatched(
            order_id=order["id"],
            shipment_id=shipment_id,
            lines=[{"sku": code, "quantity": "1"}],
            fully_shipped=fully,
        )
        event = new_event(
            EventType.SHIPMENT_DISPATCHED, payload, source="/inventory", subject=order["id"]
        ).model_copy(update={"sequence": sequence})
        return event.model_dump_json().encode()

    producer = AIOKafkaProducer(**suite.kafka.client_options(), acks="all")
    await producer.start()
    try:
        for value in (dispatched("SHP-LAST", True, 3), dispatched("SHP-FIRST", False, 2)):
            await producer.send_and_wait(
                suite.kafka.topic("inventory.events"), value=value, key=order["id"].encode()
            )
    finally:
        await producer.stop()

    async def stale_entry() -> dict[str, Any] | None:
        entries = await timeline(suite, order["id"])
        return next((e for e in entries if e["stale"]), None)

    stale = await eventually(stale_entry, within=30)
    assert (stale["data"]["shipment_id"], stale["sequence"]) == ("SHP-FIRST", 2)
    assert stale["summary"].startswith("Stale, not applied")
    shipped = await lifecycle.get_order(suite, order["id"])
    assert shipped["fulfilment"] == "shipped"
    assert [Decimal(line["shipped_quantity"]) for line in shipped["lines"]] == [2]  # both

    completed = await lifecycle.order_action(suite, order["id"], "complete")
    assert completed.status_code == 200, completed.text
    await lifecycle.order_reaches(suite, order["id"], within=60, billing="invoiced")
    assert len(await lifecycle.invoices_of(suite, order["id"])) == 1


async def test_an_order_with_nothing_to_reserve_completes_and_is_invoiced(suite: Suite) -> None:
    # Product lines whose SKU inventory knows as a service: nothing is reserved, nothing will be
    # shipped, so the order completes once reserved and billing invoices it.
    code = await service_sku(suite)
    buyer = await lifecycle.customer(suite)
    order = await reserved_with_nothing_to_reserve(suite, code, buyer, "2")
    completed = await lifecycle.order_action(suite, order["id"], "complete")
    assert completed.status_code == 200, completed.text
    await lifecycle.order_reaches(suite, order["id"], within=60, billing="invoiced")
    assert len(await lifecycle.invoices_of(suite, order["id"])) == 1

    # Cancelled instead, such an order holds nothing: no release comes, and none is needed.
    other = await reserved_with_nothing_to_reserve(suite, code, buyer, "1")
    cancelled = await lifecycle.order_action(suite, other["id"], "cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["fulfilment"] == "unreserved"


async def test_an_order_too_large_for_the_broker_is_refused_and_the_next_reserves(
    suite: Suite,
) -> None:
    code = await lifecycle.stocked_product(suite, "10")
    buyer = await lifecycle.customer(suite)
    lines = [
        {**lifecycle.product_line(code, "1", price="1.00"), "description": "x" * 4000}
        for _ in range(250)
    ]
    async with suite.client("orders") as orders:
        created = await orders.post(
            "/orders", json={"customer_id": buyer["id"], "currency": "EUR", "lines": lines}
        )
    # Its order.created event would be over the limit: refused before anything is written.
    assert created.status_code == 422, created.text
    problem = created.json()
    assert problem["limit_bytes"] == MAX_EVENT_BYTES
    assert f"the limit is {MAX_EVENT_BYTES:,} bytes" in problem["detail"]
    assert problem["size_bytes"] > MAX_EVENT_BYTES

    ordinary = await lifecycle.create_order(suite, buyer["id"], [lifecycle.product_line(code, "2")])
    started = time.monotonic()
    confirmed = await lifecycle.order_action(suite, ordinary["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    await lifecycle.order_reaches(suite, ordinary["id"], within=10, fulfilment="reserved")
    assert time.monotonic() - started < 10
