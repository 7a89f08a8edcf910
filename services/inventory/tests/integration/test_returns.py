"""Deliveries and customers' returns over HTTP against a real Kafka broker and PostgreSQL: a
shipment with its carrier confirmed delivered once, never before it left; returns authorised
within what shipped, restocked (serving a waiting order) or scrapped (the ledger only)."""

from __future__ import annotations

import uuid

from purchasing_builders import confirmed
from warehouse_client import Warehouse

from contracts import EventType


async def test_a_return_restocked_serves_a_waiting_order_and_a_scrapped_one_keeps_on_hand(
    warehouse: Warehouse,
) -> None:
    bolt = f"BOLT-{uuid.uuid4().hex[:6].upper()}"
    order_id = await warehouse.shipped_order(bolt, on_hand="5", ship="5")
    too_many = await warehouse.client.post(
        "/returns",
        json={"order_id": order_id, "reason": "damaged", "lines": [{"sku": bolt, "quantity": "6"}]},
    )
    assert (too_many.status_code, too_many.headers["content-type"]) == (
        409,
        "application/problem+json",
    )
    assert "only 5 was shipped and not yet returned" in too_many.json()["detail"]

    authorised = await warehouse.client.post(
        "/returns",
        json={"order_id": order_id, "reason": "damaged", "lines": [{"sku": bolt, "quantity": "3"}]},
    )
    assert authorised.status_code == 201, authorised.text
    rma = authorised.json()
    assert (rma["status"], rma["lines"]) == (
        "authorised",
        [{"sku": bolt, "quantity": "3", "disposition": None}],
    )
    # An order waiting for the goods: the restocked return serves it.
    waiting = str(uuid.uuid4())
    event = confirmed(waiting, bolt, "2")
    await warehouse.producer.send_and_wait(
        warehouse.kafka.topic("orders.events"),
        value=event.model_dump_json().encode(),
        key=waiting.encode(),
    )
    [failed] = await warehouse.events_about(waiting, 1)
    assert failed["type"] == EventType.STOCK_RESERVATION_FAILED.value

    incomplete = await warehouse.client.post(
        f"/returns/{rma['id']}/receive", json={"lines": [{"sku": "OTHER", "disposition": "scrap"}]}
    )
    assert incomplete.status_code == 422
    assert incomplete.json()["errors"][0]["field"] == "lines"
    received = await warehouse.client.post(
        f"/returns/{rma['id']}/receive", json={"lines": [{"sku": bolt, "disposition": "restock"}]}
    )
    assert received.status_code == 200, received.text
    assert received.json()["lines"][0]["disposition"] == "restock"
    assert await warehouse.stock(bolt) == {
        "sku": bolt,
        "on_hand": "3",
        "reserved": "2",
        "available": "1",
    }
    again = await warehouse.client.post(
        f"/returns/{rma['id']}/receive", json={"lines": [{"sku": bolt, "disposition": "restock"}]}
    )
    assert again.status_code == 409  # received once

    scrap = await warehouse.client.post(
        "/returns",
        json={"order_id": order_id, "reason": "broken", "lines": [{"sku": bolt, "quantity": "2"}]},
    )
    scrapped = await warehouse.client.post(
        f"/returns/{scrap.json()['id']}/receive",
        json={"lines": [{"sku": bolt, "disposition": "scrap"}], "note": "crushed in transit"},
    )
    assert scrapped.status_code == 200, scrapped.text
    assert (await warehouse.stock(bolt))["on_hand"] == "3"  # unchanged
    ledger = (await warehouse.client.get(f"/stock/{bolt}/movements")).json()["items"]
    assert [(m["kind"], m["on_hand_change"], m["reference"]) for m in ledger[-3:]] == [
        ("return", "3", rma["id"]),
        ("reservation", "0", waiting),
        ("scrap", "0", scrap.json()["id"]),
    ]
    assert "crushed in transit" in ledger[-1]["reason"]
    nothing_left = await warehouse.client.post(
        "/returns",
        json={"order_id": order_id, "reason": "x", "lines": [{"sku": bolt, "quantity": "0.001"}]},
    )
    assert nothing_left.status_code == 409

    events = await warehouse.events_about(
        order_id, 6
    )  # reserved, shipped, 2 × (authorised, received)
    types = [e["type"] for e in events]
    assert types.count(EventType.RETURN_AUTHORISED.value) == 2
    received_events = [e for e in events if e["type"] == EventType.RETURN_RECEIVED.value]
    assert [
        ([line["disposition"] for line in e["data"]["lines"]], e["data"]["reserved_orders"])
        for e in received_events
    ] == [(["restock"], [waiting]), (["scrap"], [])]
    listed = (await warehouse.client.get("/returns", params={"order_id": order_id})).json()
    assert [r["status"] for r in listed["items"]] == ["received", "received"]


async def test_a_shipment_with_its_carrier_is_delivered_once_and_never_before_it_left(
    warehouse: Warehouse,
) -> None:
    nut = f"NUT-{uuid.uuid4().hex[:6].upper()}"
    carriage = {"carrier": "DHL", "tracking_number": "JD0001", "shipping_date": "2026-12-02"}
    order_id = await warehouse.shipped_order(nut, on_hand="2", ship="2", carriage=carriage)
    [shipment] = (await warehouse.client.get("/shipments", params={"order_id": order_id})).json()[
        "items"
    ]
    assert {k: shipment[k] for k in carriage} == carriage
    assert shipment["delivered_at"] is None

    early = await warehouse.client.post(
        f"/shipments/{shipment['id']}/delivered", json={"delivered_at": "2026-12-01T18:00:00Z"}
    )
    assert early.status_code == 409
    assert "left on 2026-12-02" in early.json()["detail"]
    delivered = await warehouse.client.post(
        f"/shipments/{shipment['id']}/delivered", json={"delivered_at": "2026-12-03T10:30:00Z"}
    )
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["delivered_at"] == "2026-12-03T10:30:00Z"
    twice = await warehouse.client.post(f"/shipments/{shipment['id']}/delivered", json={})
    assert twice.status_code == 409
    unknown = await warehouse.client.post(f"/shipments/{uuid.uuid4()}/delivered", json={})
    assert unknown.status_code == 404

    events = await warehouse.events_about(order_id, 3)
    dispatched = next(e for e in events if e["type"] == EventType.SHIPMENT_DISPATCHED.value)
    assert (dispatched["data"]["carrier"], dispatched["data"]["shipping_date"]) == (
        "DHL",
        "2026-12-02",
    )
    [arrived] = [e for e in events if e["type"] == EventType.SHIPMENT_DELIVERED.value]
    assert (arrived["data"]["shipment_id"], arrived["data"]["tracking_number"]) == (
        shipment["id"],
        "JD0001",
    )
