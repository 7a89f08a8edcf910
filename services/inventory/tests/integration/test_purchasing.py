"""Purchasing over HTTP against a real Kafka broker and PostgreSQL: vendors, purchase orders,
receipts in parts that serve backorders in confirmation order, and the refusals."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from purchasing_builders import confirmed

from contracts import CloudEvent, EventType
from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit import dlq
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    service_with_input,
    settings_for_test,
)

D = Decimal


class Purchasing:
    """The running inventory service, a producer of orders' events, and its published events."""

    def __init__(
        self, client: httpx.AsyncClient, kafka: KafkaSettings, producer: AIOKafkaProducer
    ) -> None:
        self.client = client
        self.kafka = kafka
        self.producer = producer

    async def confirm(self, event: CloudEvent[Any]) -> None:
        await self.producer.send_and_wait(
            self.kafka.topic("orders.events"),
            value=event.model_dump_json().encode(),
            key=str(event.subject).encode(),
        )

    async def events(self) -> list[dict[str, Any]]:
        records = await dlq.read_topic(
            self.kafka, self.kafka.topic("inventory.events"), wait_seconds=2
        )
        return [{**json.loads(r.value), "key": r.key.decode()} for r in records]

    async def events_until(self, enough: Any) -> list[dict[str, Any]]:
        """Wait until the published events satisfy `enough(events)`; returns them."""

        async def probe() -> list[dict[str, Any]] | None:
            found = await self.events()
            return found if enough(found) else None

        result: list[dict[str, Any]] = await eventually(probe, within=30, interval=0.3)
        return result

    async def product(self, sku: str) -> None:
        created = await self.client.put(f"/products/{sku}", json={"name": sku, "kind": "product"})
        assert created.status_code == 201, created.text

    async def stock(self, sku: str) -> dict[str, str]:
        body: dict[str, str] = (await self.client.get(f"/stock/{sku}")).json()
        return body

    async def receive(self, po_id: str, sku: str, quantity: str) -> httpx.Response:
        return await self.client.post(
            f"/purchase-orders/{po_id}/receipts",
            json={"lines": [{"sku": sku, "quantity": quantity}]},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )


@pytest.fixture
async def purchasing(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[Purchasing]:
    settings = await settings_for_test(InventorySettings, databases, kafka, "inventory")
    async with service_with_input(build_spec(settings), MIGRATIONS_DIR) as (_, client, producer):
        yield Purchasing(client, kafka, producer)


def code(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:6].upper()}"


def of_type(events: list[dict[str, Any]], event_type: EventType) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == event_type.value]


async def vendor_of(purchasing: Purchasing, sku: str, price: str = "2.5") -> str:
    created = await purchasing.client.post(
        "/vendors",
        json={
            "name": code("Bolt & Co"),
            "currency": "EUR",
            "email": "sales@bolt.test",
            "supplies": [{"sku": sku, "purchase_price": price, "lead_time_days": 5}],
        },
    )
    assert created.status_code == 201, created.text
    vendor_id: str = created.json()["id"]
    return vendor_id


async def test_a_purchase_order_received_in_two_parts_serves_three_backorders_in_order(
    purchasing: Purchasing,
) -> None:
    bolt = code("BOLT")
    await purchasing.product(bolt)
    waiting = [(str(uuid.uuid4()), quantity) for quantity in ("4", "2", "3")]
    for count, (order_id, quantity) in enumerate(waiting, start=1):  # one after the other
        await purchasing.confirm(confirmed(order_id, bolt, quantity))
        await purchasing.events_until(
            lambda events, n=count: len(of_type(events, EventType.STOCK_RESERVATION_FAILED)) >= n
        )
    vendor_id = await vendor_of(purchasing, bolt)

    created = await purchasing.client.post(
        "/purchase-orders",
        json={"vendor_id": vendor_id, "lines": [{"sku": bolt, "quantity": "10"}]},
    )
    assert created.status_code == 201, created.text
    po = created.json()
    assert (po["status"], po["currency"], po["total"]) == ("draft", "EUR", "25.00")
    assert po["lines"][0]["unit_price"] == "2.5000"  # the vendor's purchase price
    assert po["number"].startswith("PO-")
    assert (await purchasing.receive(po["id"], bolt, "1")).status_code == 409  # a draft

    sent = await purchasing.client.post(f"/purchase-orders/{po['id']}/send")
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    assert (await purchasing.client.post(f"/purchase-orders/{po['id']}/send")).status_code == 409

    first = await purchasing.receive(po["id"], bolt, "5")
    assert first.status_code == 201, first.text
    assert first.json()["reserved_orders"] == [waiting[0][0]]
    over = await purchasing.receive(po["id"], bolt, "6")
    assert (over.status_code, over.headers["content-type"]) == (409, "application/problem+json")
    assert "expects only 5 more" in over.json()["detail"]
    second = await purchasing.receive(po["id"], bolt, "5")
    assert second.json()["reserved_orders"] == [waiting[1][0], waiting[2][0]]
    assert await purchasing.stock(bolt) == {
        "sku": bolt,
        "on_hand": "10",
        "reserved": "9",
        "available": "1",
    }
    # Each reservation's ledger row tells the level it left, not the one after the last.
    ledger = (await purchasing.client.get(f"/stock/{bolt}/movements")).json()["items"]
    assert [(m["kind"], m["reference"], m["on_hand"], m["reserved"]) for m in ledger[-3:]] == [
        ("receipt", ledger[-3]["reference"], "10", "4"),
        ("reservation", waiting[1][0], "10", "6"),
        ("reservation", waiting[2][0], "10", "9"),
    ]
    done = (await purchasing.client.get(f"/purchase-orders/{po['id']}")).json()
    assert (done["status"], done["lines"][0]["received"], done["lines"][0]["open"]) == (
        "received",
        "10",
        "0",
    )
    cancel = await purchasing.client.post(f"/purchase-orders/{po['id']}/cancel")
    assert cancel.status_code == 409
    receipts = (await purchasing.client.get(f"/purchase-orders/{po['id']}/receipts")).json()
    assert [r["id"] for r in receipts] == [first.json()["id"], second.json()["id"]]

    events = await purchasing.events_until(
        lambda events: len(of_type(events, EventType.STOCK_RESERVED)) >= 3
    )
    received = of_type(events, EventType.GOODS_RECEIVED)  # one key: in the order they happened
    assert [(e["key"], e["data"]["fully_received"]) for e in received] == [
        (po["id"], False),
        (po["id"], True),
    ]
    # Each order's reservation was caused by the receipt that served it (orders' keys spread
    # over partitions, so the topic alone does not tell the order they were served in).
    caused_by = {e["subject"]: e["causationid"] for e in of_type(events, EventType.STOCK_RESERVED)}
    assert caused_by == {
        waiting[0][0]: received[0]["id"],
        waiting[1][0]: received[1]["id"],
        waiting[2][0]: received[1]["id"],
    }
    [announced] = of_type(events, EventType.PURCHASE_ORDER_SENT)
    assert (announced["data"]["vendor_email"], announced["data"]["total"]) == (
        "sales@bolt.test",
        "25.00",
    )


async def test_bad_purchasing_input_names_the_field_and_changes_nothing(
    purchasing: Purchasing,
) -> None:
    bolt, install, withdrawn = code("BOLT"), code("INSTALL"), code("OLD")
    await purchasing.product(bolt)
    service = await purchasing.client.put(
        f"/products/{install}", json={"name": "x", "kind": "service"}
    )
    assert service.status_code == 201
    inactive = await purchasing.client.put(
        f"/products/{withdrawn}", json={"name": "x", "kind": "product", "active": False}
    )
    assert inactive.status_code == 201, inactive.text
    bad_currency = await purchasing.client.post("/vendors", json={"name": "V", "currency": "XXQ"})
    assert bad_currency.status_code == 422
    assert "currency" in json.dumps(bad_currency.json()["errors"])
    supplies_service = await purchasing.client.post(
        "/vendors",
        json={
            "name": "V",
            "currency": "EUR",
            "supplies": [{"sku": install, "purchase_price": "1"}],
        },
    )
    assert supplies_service.status_code == 422
    assert supplies_service.json()["errors"][0]["field"] == "supplies[0].sku"
    assert (await purchasing.client.get("/vendors", params={"q": "V"})).json()["items"] == []

    vendor_id = await vendor_of(purchasing, bolt)
    for lines, field in (
        ([{"sku": "GHOST-1", "quantity": "1", "unit_price": "1"}], "lines[0].sku"),
        ([{"sku": bolt, "quantity": "1"}, {"sku": install, "quantity": "1"}], "lines[1].sku"),
        ([{"sku": bolt, "quantity": "1"}, {"sku": withdrawn, "quantity": "1"}], "lines[1].sku"),
    ):
        refused = await purchasing.client.post(
            "/purchase-orders", json={"vendor_id": vendor_id, "lines": lines}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    unknown_vendor = await purchasing.client.post(
        "/purchase-orders", json={"vendor_id": "nobody", "lines": [{"sku": bolt, "quantity": "1"}]}
    )
    assert unknown_vendor.json()["errors"][0]["field"] == "vendor_id"
    assert (
        await purchasing.client.get("/purchase-orders", params={"vendor_id": vendor_id})
    ).json()["items"] == []
    assert (await purchasing.client.get(f"/purchase-orders/{uuid.uuid4()}")).status_code == 404
    assert (await purchasing.client.get(f"/vendors/{uuid.uuid4()}")).status_code == 404

    po = (
        await purchasing.client.post(
            "/purchase-orders",
            json={"vendor_id": vendor_id, "lines": [{"sku": bolt, "quantity": "2"}]},
        )
    ).json()
    cancelled = await purchasing.client.post(f"/purchase-orders/{po['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    late = await purchasing.receive(po["id"], bolt, "1")
    assert late.status_code == 409
    assert (await purchasing.stock(bolt))["on_hand"] == "0"


async def test_concurrent_receipts_and_confirmations_never_leave_available_negative(
    purchasing: Purchasing,
) -> None:
    bolt = code("BOLT")
    await purchasing.product(bolt)
    vendor_id = await vendor_of(purchasing, bolt)
    po = (
        await purchasing.client.post(
            "/purchase-orders",
            json={"vendor_id": vendor_id, "lines": [{"sku": bolt, "quantity": "12"}]},
        )
    ).json()
    await purchasing.client.post(f"/purchase-orders/{po['id']}/send")
    orders = [str(uuid.uuid4()) for _ in range(10)]

    results = await asyncio.gather(
        *(purchasing.receive(po["id"], bolt, "1") for _ in range(12)),
        *(purchasing.confirm(confirmed(order_id, bolt, "1.5")) for order_id in orders),
    )
    assert [r.status_code for r in results[:12]] == [201] * 12
    # Every confirmation was acted on once it has an outcome (reserved or backordered); the
    # receipts had all committed before.
    outcomes = (EventType.STOCK_RESERVED.value, EventType.STOCK_RESERVATION_FAILED.value)
    await purchasing.events_until(
        lambda events: {e["subject"] for e in events if e["type"] in outcomes} >= set(orders)
    )
    level = {key: D(value) for key, value in (await purchasing.stock(bolt)).items() if key != "sku"}
    assert level["on_hand"] == D(12)
    assert D(0) <= level["available"]
    lines = (await purchasing.client.get("/reservations", params={"sku": bolt})).json()["items"]
    reserved_orders = {line["order_id"] for line in lines if line["status"] == "reserved"}
    assert level["reserved"] == D("1.5") * len(reserved_orders)
    # 12 units hold eight orders of 1.5 whatever the timing: a receipt serves the waiting orders
    # and a confirmation takes what is available, so none waits while 1.5 is free.
    assert len(reserved_orders) == 8


async def test_the_suggested_purchase_list_becomes_draft_purchase_orders_once(
    purchasing: Purchasing,
) -> None:
    bolt = code("BOLT")
    await purchasing.product(bolt)
    vendor_id = await vendor_of(purchasing, bolt, price="0.4")
    point = await purchasing.client.put(
        f"/reorder-points/{bolt}", json={"reorder_point": "10", "reorder_quantity": "25"}
    )
    assert point.status_code == 200, point.text
    unknown = await purchasing.client.put(
        "/reorder-points/GHOST-9", json={"reorder_point": "1", "reorder_quantity": "1"}
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "sku")

    [suggestion] = [
        s for s in (await purchasing.client.get("/purchase-suggestions")).json() if s["sku"] == bolt
    ]
    assert (suggestion["quantity"], suggestion["vendor_id"], suggestion["on_order"]) == (
        "25",
        vendor_id,
        "0",
    )
    drafted = await purchasing.client.post("/purchase-suggestions/drafts")
    assert drafted.status_code == 201, drafted.text
    [draft] = [po for po in drafted.json() if po["vendor_id"] == vendor_id]
    assert (draft["status"], draft["lines"][0]["quantity"], draft["total"]) == (
        "draft",
        "25",
        "10.00",
    )
    again = await purchasing.client.post("/purchase-suggestions/drafts")
    assert [po for po in again.json() if po["vendor_id"] == vendor_id] == []
    remaining = (await purchasing.client.get("/purchase-suggestions")).json()
    assert bolt not in {s["sku"] for s in remaining}
