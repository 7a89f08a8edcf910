"""An order's whole life across the four services, running as separate processes."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pypdf import PdfReader

from contracts import EventType, new_event
from contracts.events import OrderSubmitted
from servicekit import dlq
from servicekit.testing import Suite, eventually


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8].upper()}"


async def catalogued(suite: Suite, code: str, **expected: Any) -> dict[str, Any]:
    """The item as orders' catalogue view shows it, once inventory's events reached it (and it
    has the `expected` fields): product lines may only name items orders knows."""

    async def probe() -> dict[str, Any] | None:
        async with suite.client("orders") as orders:
            response = await orders.get(f"/items/{code}", params={"currency": "EUR"})
        if response.status_code != 200:
            return None
        item: dict[str, Any] = response.json()
        return item if all(item[k] == v for k, v in expected.items()) else None

    found: dict[str, Any] = await eventually(probe, within=60)
    return found


async def stocked_product(
    suite: Suite, quantity: str, name: str = "Widget", **catalogue: Any
) -> str:
    """A new product with `quantity` received, known to orders' catalogue view; `catalogue`:
    list prices, barcode... as PUT /products takes them."""
    code = sku()
    async with suite.client("inventory") as inventory:
        created = await inventory.put(
            f"/products/{code}", json={"name": name, "kind": "product", **catalogue}
        )
        assert created.status_code in (200, 201), created.text
        if Decimal(quantity) > 0:
            receipt = await inventory.post(
                "/stock/adjustments",
                json={
                    "sku": code,
                    "kind": "receipt",
                    "quantity": quantity,
                    "reason": "initial stock",
                },
            )
            assert receipt.status_code == 201, receipt.text
    await catalogued(suite, code)
    return code


async def customer(suite: Suite, name: str = "Ромашка Trading, S.L.") -> dict[str, Any]:
    async with suite.client("orders") as orders:
        response = await orders.post(
            "/customers",
            json={
                "name": name,
                "email": f"buyer-{uuid.uuid4().hex[:6]}@example.com",
                "billing_address": {
                    "line1": "Calle Mayor 1",
                    "postal_code": "28013",
                    "city": "Madrid",
                    "country": "ES",
                },
            },
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def product_line(code: str, quantity: str, price: str = "10.00") -> dict[str, Any]:
    return {
        "sku": code,
        "kind": "product",
        "description": f"Product {code}",
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": "21",
    }


async def create_order(
    suite: Suite, customer_id: str, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    async with suite.client("orders") as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": customer_id,
                "currency": "EUR",
                "lines": lines,
                "payment_terms": {"days": 14, "text": "Net 14 days"},
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order


async def order_action(
    suite: Suite, order_id: str, action: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    async with suite.client("orders") as orders:
        return await orders.post(f"/orders/{order_id}/{action}", json=body or {})


async def get_order(suite: Suite, order_id: str) -> dict[str, Any]:
    async with suite.client("orders") as orders:
        response = await orders.get(f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()
        return order


async def order_reaches(
    suite: Suite, order_id: str, within: float = 60, **expected: str
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        order = await get_order(suite, order_id)
        return order if all(order[k] == v for k, v in expected.items()) else None

    result: dict[str, Any] = await eventually(probe, within=within)
    return result


async def stock(suite: Suite, code: str) -> dict[str, Decimal]:
    async with suite.client("inventory") as inventory:
        response = await inventory.get(f"/stock/{code}")
        assert response.status_code == 200, response.text
        return {k: Decimal(v) for k, v in response.json().items() if k != "sku"}


async def ship(suite: Suite, order_id: str, lines: list[tuple[str, str]]) -> httpx.Response:
    async with suite.client("inventory") as inventory:
        return await inventory.post(
            "/shipments",
            json={
                "order_id": order_id,
                "lines": [{"sku": code, "quantity": qty} for code, qty in lines],
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )


async def invoices_of(suite: Suite, order_id: str) -> list[dict[str, Any]]:
    async with suite.client("billing") as billing:
        response = await billing.get("/invoices", params={"order_id": order_id})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


async def documents_of(suite: Suite, order_id: str) -> list[dict[str, Any]]:
    async with suite.client("documents") as documents:
        response = await documents.get("/documents", params={"order_id": order_id})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


async def pdf_text(suite: Suite, document: dict[str, Any]) -> str:
    async with suite.client("documents") as documents:
        response = await documents.get(f"/documents/{document['id']}/content")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_full_life_of_an_order(suite: Suite) -> None:
    bolts, nuts = await stocked_product(suite, "100"), await stocked_product(suite, "50")
    buyer = await customer(suite)
    order = await create_order(
        suite,
        buyer["id"],
        [
            product_line(bolts, "10", "2.50"),
            product_line(nuts, "4", "1.25"),
            {
                "sku": "INSTALL",
                "kind": "service",
                "description": "Installation on site",
                "quantity": "1",
                "unit_price": "80.00",
                "tax_rate": "21",
            },
        ],
    )
    assert order["status"] == "draft"
    assert order["totals"]["gross"] == "133.10"  # (25 + 5 + 80) * 1.21

    confirmed = await order_action(suite, order["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    await order_reaches(suite, order["id"], status="open", fulfilment="reserved")
    assert (await stock(suite, bolts))["reserved"] == Decimal("10")

    premature = await order_action(suite, order["id"], "complete")
    assert premature.status_code == 409
    assert premature.headers["content-type"] == "application/problem+json"

    first = await ship(suite, order["id"], [(bolts, "6")])
    assert first.status_code == 201, first.text
    await order_reaches(suite, order["id"], fulfilment="partially_shipped")
    too_late = await order_action(suite, order["id"], "cancel")
    assert too_late.status_code == 409, too_late.text  # goods have left: no cancelling
    assert too_late.json()["shipment_ids"] == [first.json()["id"]]
    assert (await ship(suite, order["id"], [(bolts, "4"), (nuts, "4")])).status_code == 201
    await order_reaches(suite, order["id"], fulfilment="shipped")
    all_shipped = await order_action(suite, order["id"], "cancel")
    assert all_shipped.status_code == 409, all_shipped.text
    assert len(all_shipped.json()["shipment_ids"]) == 2
    assert (await get_order(suite, order["id"]))["status"] == "open"  # the refusal changed nothing
    assert await stock(suite, bolts) == {
        "on_hand": Decimal("90"),
        "reserved": Decimal("0"),
        "available": Decimal("90"),
    }

    completed = await order_action(suite, order["id"], "complete")
    assert completed.status_code == 200, completed.text
    await order_reaches(suite, order["id"], status="concluded", billing="invoiced")

    invoices = await invoices_of(suite, order["id"])
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice["totals"]["gross"] == "133.10"
    async with suite.client("billing") as billing:
        for amount in ("100.00", "33.10"):
            paid = await billing.post(
                f"/invoices/{invoice['id']}/payments",
                json={"amount": amount},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            assert paid.status_code == 201, paid.text
    await order_reaches(suite, order["id"], billing="paid")

    async def four_documents() -> list[dict[str, Any]] | None:
        found = await documents_of(suite, order["id"])
        return found if len(found) == 4 else None

    found = await eventually(four_documents, within=60)
    documents = {d["kind"]: d for d in found if d["kind"] != "delivery_note"}
    assert set(documents) == {"order_confirmation", "invoice"}
    for kind, document in documents.items():
        text = await pdf_text(suite, document)
        assert order["number"] in text, kind
        assert "Ромашка Trading" in text, kind
        assert "133.10" in text, kind
    assert invoice["number"] in await pdf_text(suite, documents["invoice"])
    # One delivery note per shipment: its lines and quantities, never a price.
    notes = [d for d in found if d["kind"] == "delivery_note"]
    texts = [" ".join((await pdf_text(suite, note)).split()) for note in notes]
    [bolts_only] = [text for text in texts if nuts not in text]  # the first shipment
    [both] = [text for text in texts if nuts in text]
    assert bolts in bolts_only
    assert bolts in both
    for text in texts:
        assert "Delivery note" in text
        assert order["number"] in text
        assert "Ромашка Trading" in text
        for price in ("2.50", "1.25", "25.00", "133.10", "Unit price"):
            assert price not in text, price

    # The documents' own events reach orders after the documents exist: wait for them too.
    async def timeline_of_every_service() -> list[dict[str, Any]] | None:
        async with suite.client("orders") as orders:
            items: list[dict[str, Any]] = (
                await orders.get(f"/orders/{order['id']}/timeline")
            ).json()["items"]
        sources = {entry["source"] for entry in items}
        generated = EventType.DOCUMENT_GENERATED.value in {entry["type"] for entry in items}
        every = {"/orders", "/inventory", "/billing", "/documents"} <= sources and generated
        return items if every else None

    timeline = await eventually(timeline_of_every_service, within=30)
    types = [entry["type"] for entry in timeline]
    for expected in (
        EventType.ORDER_CREATED,
        EventType.ORDER_CONFIRMED,
        EventType.STOCK_RESERVED,
        EventType.SHIPMENT_DISPATCHED,
        EventType.ORDER_COMPLETED,
        EventType.INVOICE_ISSUED,
        EventType.PAYMENT_RECEIVED,
        EventType.DOCUMENT_GENERATED,
    ):
        assert expected.value in types
    assert (
        types.index(EventType.ORDER_CONFIRMED.value)
        < types.index(EventType.STOCK_RESERVED.value)
        < types.index(EventType.ORDER_COMPLETED.value)
    )


async def test_backorder_reserves_nothing(suite: Suite) -> None:
    scarce = await stocked_product(suite, "3")
    buyer = await customer(suite, "Backorder Ltd")
    order = await create_order(suite, buyer["id"], [product_line(scarce, "5")])
    assert (await order_action(suite, order["id"], "confirm")).status_code == 200
    await order_reaches(suite, order["id"], fulfilment="backordered")
    assert await stock(suite, scarce) == {
        "on_hand": Decimal("3"),
        "reserved": Decimal("0"),
        "available": Decimal("3"),
    }


async def test_cancellation_releases_the_reservation(suite: Suite) -> None:
    code = await stocked_product(suite, "20")
    before = await stock(suite, code)
    buyer = await customer(suite, "Cancel GmbH")
    order = await create_order(suite, buyer["id"], [product_line(code, "8")])
    await order_action(suite, order["id"], "confirm")
    await order_reaches(suite, order["id"], fulfilment="reserved")
    assert (await stock(suite, code))["available"] == Decimal("12")

    cancelled = await order_action(
        suite, order["id"], "cancel", {"reason": "customer changed mind"}
    )
    assert cancelled.status_code == 200, cancelled.text
    await order_reaches(suite, order["id"], status="cancelled", fulfilment="unreserved")
    assert await stock(suite, code) == before
    again = await order_action(suite, order["id"], "confirm")
    assert again.status_code == 409  # a cancelled order stays cancelled


async def test_concurrent_confirmations_never_oversell(suite: Suite) -> None:
    code = await stocked_product(suite, "10")
    buyer = await customer(suite, "Rush Hour Inc")
    orders = [
        await create_order(suite, buyer["id"], [product_line(code, str(1 + i % 3))])
        for i in range(16)
    ]
    responses = await asyncio.gather(*(order_action(suite, o["id"], "confirm") for o in orders))
    assert all(r.status_code == 200 for r in responses)

    async def all_settled() -> list[dict[str, Any]] | None:
        current = [await get_order(suite, o["id"]) for o in orders]
        done = all(o["fulfilment"] in ("reserved", "backordered") for o in current)
        return current if done else None

    settled = await eventually(all_settled, within=90)
    level = await stock(suite, code)
    reserved_total = sum(
        Decimal(o["lines"][0]["quantity"]) for o in settled if o["fulfilment"] == "reserved"
    )
    assert level["available"] >= 0
    assert level["reserved"] == reserved_total <= Decimal("10")
    assert any(o["fulfilment"] == "backordered" for o in settled)


async def test_inbound_orders_deduplicate_and_bad_events_go_to_the_dlq(suite: Suite) -> None:
    topic = suite.kafka.topic("orders.inbound")
    code = await stocked_product(suite, "5")
    reference = f"SHOP-{uuid.uuid4().hex[:8]}"
    submitted = new_event(
        EventType.ORDER_SUBMITTED,
        OrderSubmitted.model_validate(
            {
                "external_reference": reference,
                "customer": {"name": "Webshop Customer", "email": f"{reference}@example.com"},
                "currency": "EUR",
                "lines": [{"sku": code, "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
                "confirm": True,
            }
        ),
        source="/webshop",
        subject=reference,
    )
    invalid = {**json.loads(submitted.model_dump_json()), "id": str(uuid.uuid4())}
    invalid["data"] = {**invalid["data"], "currency": "euro", "external_reference": "BAD-1"}
    producer = AIOKafkaProducer(**suite.kafka.client_options(), acks="all")
    await producer.start()
    try:
        for value in (
            json.dumps(invalid).encode(),
            submitted.model_dump_json().encode(),
            submitted.model_dump_json().encode(),
        ):  # the same event, delivered twice
            await producer.send_and_wait(topic, value=value, key=reference.encode())
    finally:
        await producer.stop()

    async def inbound_order() -> list[dict[str, Any]] | None:
        async with suite.client("orders") as orders:
            items = (await orders.get("/orders", params={"limit": 200})).json()["items"]
        found = [o for o in items if o.get("external_reference") == reference]
        return found if found and found[0]["fulfilment"] == "reserved" else None

    found = await eventually(inbound_order, within=60)
    assert len(found) == 1
    assert (await stock(suite, code))["reserved"] == Decimal("1")
    letters = await dlq.read_dead_letters(suite.kafka, topic + ".dlq")
    assert [json.loads(letter.value or b"{}")["id"] for letter in letters] == [invalid["id"]]
    assert "currency" in letters[0].error


async def test_invalid_http_bodies_name_the_field(suite: Suite) -> None:
    buyer = await customer(suite, "Validation SA")
    async with suite.client("orders") as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": buyer["id"],
                "currency": "EUR",
                "lines": [
                    {
                        "sku": "X",
                        "kind": "product",
                        "description": "x",
                        "quantity": "-1",
                        "unit_price": "1.00",
                        "tax_rate": "21",
                    }
                ],
            },
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(field.endswith("lines.0.quantity") for field in fields), fields


async def test_a_restarted_service_catches_up(suite: Suite) -> None:
    code = await stocked_product(suite, "5")
    buyer = await customer(suite, "Restart Co")
    order = await create_order(suite, buyer["id"], [product_line(code, "2")])
    suite.services["inventory"].stop()
    suite.services["billing"].stop()
    try:
        assert (await order_action(suite, order["id"], "confirm")).status_code == 200
        await asyncio.sleep(2)
        assert (await get_order(suite, order["id"]))["fulfilment"] == "reserving"
    finally:
        for name in ("inventory", "billing"):
            suite.services[name].start()
        await asyncio.gather(*(suite.services[n].wait_ready() for n in ("inventory", "billing")))
    await order_reaches(suite, order["id"], fulfilment="reserved")
    assert (await ship(suite, order["id"], [(code, "2")])).status_code == 201
    await order_reaches(suite, order["id"], fulfilment="shipped")
    await suite.restart("billing")
    assert (await order_action(suite, order["id"], "complete")).status_code == 200
    await order_reaches(suite, order["id"], billing="invoiced")
    assert len(await invoices_of(suite, order["id"])) == 1


async def test_one_payment_for_two_orders_a_bounce_then_dunning(suite: Suite) -> None:
    buyer = await customer(suite)
    service = {
        "sku": "CONSULT",
        "kind": "service",
        "description": "Consulting",
        "quantity": "1",
        "unit_price": "100.00",
        "tax_rate": "21",
    }
    orders = [await create_order(suite, buyer["id"], [service]) for _ in range(2)]
    for order in orders:
        assert (await order_action(suite, order["id"], "confirm")).status_code == 200
        await order_reaches(suite, order["id"], status="open")
        completed = await order_action(suite, order["id"], "complete")
        assert completed.status_code == 200, completed.text
        await order_reaches(suite, order["id"], billing="invoiced")

    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with suite.client("billing") as billing:
        body = {"customer_id": buyer["id"], "currency": "EUR", "amount": "250.00"}
        paid = await billing.post("/payments", json=body, headers=key)
        assert paid.status_code == 201, paid.text
        assert (paid.json()["allocated_total"], paid.json()["unallocated"]) == ("242.00", "8.00")
    for order in orders:
        await order_reaches(suite, order["id"], billing="paid")

    async with suite.client("billing") as billing:
        bounced = await billing.post(
            f"/payments/{paid.json()['id']}/reversal", json={"reason": "returned by the bank"}
        )
        assert bounced.status_code == 200, bounced.text
    for order in orders:
        await order_reaches(suite, order["id"], billing="invoiced")

    # 21 days after the due date (14 days): overdue, then the second reminder at once.
    day = (datetime.now(UTC).date() + timedelta(days=14 + 21)).isoformat()
    async with suite.client("billing") as billing:
        run = await billing.post("/collection-runs", json={"day": day})
        assert run.status_code == 200, run.text
        # The run collects every unpaid invoice of the suite (other tests leave some): these
        # two are among them, as both orders show.
        assert run.json()["overdue"] >= 2
        assert run.json()["reminders"] >= 2
    for order in orders:
        await order_reaches(suite, order["id"], billing="overdue")
    async with suite.client("orders") as client:

        async def timeline() -> list[str] | None:
            response = await client.get(f"/orders/{orders[0]['id']}/timeline")
            types = [entry["type"] for entry in response.json()["items"]]
            return types if EventType.DUNNING_LEVEL_REACHED.value in types else None

        types = await eventually(timeline, within=60)
    for expected in (
        EventType.PAYMENT_RECEIVED,
        EventType.PAYMENT_REVERSED,
        EventType.INVOICE_OVERDUE,
        EventType.DUNNING_LEVEL_REACHED,
    ):
        assert expected.value in types
