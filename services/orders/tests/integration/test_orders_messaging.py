"""Events in and out of a running service, over a real broker: state, timeline, dedup, DLQ."""

from __future__ import annotations

import json
import uuid
from typing import Any

from orders_builders import document_generated, payment_received, shipment_dispatched

from contracts import CloudEvent, EventType, new_event
from contracts.events import InvoiceIssued, OrderSubmitted, StockReserved
from servicekit import dlq
from servicekit.testing import eventually


async def create_confirmed_order(service: Any) -> dict[str, Any]:
    customer = await service.new_customer("Tornillos Pérez")
    order = await service.created(
        "/orders",
        {
            "customer_id": customer["id"],
            "currency": "EUR",
            "lines": [
                {
                    "sku": "BOLT",
                    "kind": "product",
                    "description": "Bolts",
                    "quantity": "10",
                    "unit_price": "2.50",
                    "tax_rate": "21",
                },
                {
                    "sku": "NUT",
                    "kind": "product",
                    "description": "Nuts",
                    "quantity": "4",
                    "unit_price": "1.25",
                    "tax_rate": "21",
                },
            ],
        },
    )
    confirmed = await service.client.post(f"/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


def event(event_type: EventType, payload: dict[str, Any], source: str, subject: str) -> Any:
    from contracts import PAYLOADS

    model = PAYLOADS[event_type].model_validate(payload)
    return new_event(event_type, model, source=source, subject=subject)


async def order_matches(service: Any, order_id: str, **expected: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        order: dict[str, Any] = (await service.client.get(f"/orders/{order_id}")).json()
        return order if all(order[k] == v for k, v in expected.items()) else None

    found: dict[str, Any] = await eventually(probe, within=20, interval=0.1)
    return found


def shipment(order_id: str, shipment_id: str, lines: list[tuple[str, str]], full: bool) -> Any:
    return event(
        EventType.SHIPMENT_DISPATCHED,
        shipment_dispatched(order_id, shipment_id, lines, fully=full).model_dump(mode="json"),
        "/inventory",
        order_id,
    )


async def test_other_services_events_drive_fulfilment_billing_documents_and_timeline(
    orders_service: Any,
) -> None:
    service, client = orders_service, orders_service.client
    order = await create_confirmed_order(service)
    order_id, number = order["id"], order["number"]
    assert order["fulfilment"] == "reserving"

    reserved = event(
        EventType.STOCK_RESERVED,
        StockReserved(
            order_id=order_id,
            lines=[{"sku": "BOLT", "quantity": "10"}, {"sku": "NUT", "quantity": "4"}],
        ).model_dump(mode="json"),
        "/inventory",
        order_id,
    )
    await service.send("inventory.events", reserved, order_id)
    await order_matches(service, order_id, fulfilment="reserved")

    first = shipment(order_id, "SHP-1", [("BOLT", "6")], full=False)
    await service.send("inventory.events", first, order_id)
    await order_matches(service, order_id, fulfilment="partially_shipped")
    refused = await client.post(f"/orders/{order_id}/complete")
    assert refused.status_code == 409
    assert refused.json()["current_status"] == "open"

    # The same event redelivered, and the same shipment under a new event id: counted once.
    await service.send("inventory.events", first, order_id)
    await service.send(
        "inventory.events", shipment(order_id, "SHP-1", [("BOLT", "6")], False), order_id
    )
    await service.send(
        "inventory.events",
        shipment(order_id, "SHP-2", [("BOLT", "4"), ("NUT", "4")], full=True),
        order_id,
    )
    shipped = await order_matches(service, order_id, fulfilment="shipped")
    assert [line["shipped_quantity"] for line in shipped["lines"]] == ["10", "4"]

    completed = await client.post(f"/orders/{order_id}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "concluded"

    snapshot = {
        "customer": {**order["customer"]},
        "payment_terms": order["payment_terms"],
        "totals": order["totals"],
    }

    def invoice(number: str, invoiced_total: str) -> Any:
        return event(
            EventType.INVOICE_ISSUED,
            InvoiceIssued.model_validate(
                {
                    "invoice_id": f"inv-{number}",
                    "number": number,
                    "order_id": order_id,
                    "order_number": number,
                    "issue_date": "2026-03-01",
                    "due_date": "2026-03-31",
                    "currency": "EUR",
                    "lines": [],
                    **snapshot,
                    "order_total": "36.30",
                    "invoiced_total": invoiced_total,
                }
            ).model_dump(mode="json"),
            "/billing",
            order_id,
        )

    # Invoiced in two parts (as on delivery): partially, then fully.
    await service.send("billing.events", invoice("INV-2026-000000", "10.00"), order_id)
    part = await order_matches(service, order_id, billing="partially_invoiced")
    assert (part["invoiced_total"], part["uninvoiced_total"]) == ("10.00", "26.30")
    await service.send("billing.events", invoice("INV-2026-000001", "36.30"), order_id)
    whole = await order_matches(service, order_id, billing="invoiced")
    assert (whole["invoiced_total"], whole["uninvoiced_total"]) == ("36.30", "0.00")
    # Each invoice paid in turn: the order is paid once both are.
    for invoice_id, amount, status, order_billing in (
        ("inv-INV-2026-000000", "10.00", "paid", "partially_paid"),
        ("inv-INV-2026-000001", "20.00", "partially_paid", "partially_paid"),
        ("inv-INV-2026-000001", "6.30", "paid", "paid"),
    ):
        payment = payment_received(
            order_id,
            amount,
            paid_total=amount,
            balance="0.00" if status == "paid" else "6.30",
            status=status,
            payment_id=str(uuid.uuid4()),
        ).model_copy(update={"invoice_id": invoice_id})
        await service.send(
            "billing.events",
            event(
                EventType.PAYMENT_RECEIVED, payment.model_dump(mode="json"), "/billing", order_id
            ),
            order_id,
        )
        await order_matches(service, order_id, billing=order_billing)

    document_id = str(uuid.uuid4())
    generated = document_generated(
        order_id, number, kind="order_confirmation", document_id=document_id
    )
    await service.send(
        "documents.events",
        event(
            EventType.DOCUMENT_GENERATED, generated.model_dump(mode="json"), "/documents", order_id
        ),
        order_id,
    )
    final = await order_matches(
        service,
        order_id,
        documents=[
            {
                "document_id": document_id,
                "kind": "order_confirmation",
                "reference": number,
                "download_path": f"/documents/{document_id}/content",
            }
        ],
    )
    assert (final["status"], final["fulfilment"], final["billing"]) == (
        "concluded",
        "shipped",
        "paid",
    )

    timeline = (await client.get(f"/orders/{order_id}/timeline")).json()["items"]
    types = [entry["type"] for entry in timeline]
    assert types == [
        EventType.ORDER_CREATED,
        EventType.ORDER_CONFIRMED,
        EventType.STOCK_RESERVED,
        EventType.SHIPMENT_DISPATCHED,
        EventType.SHIPMENT_DISPATCHED,  # the same shipment under a second event id
        EventType.SHIPMENT_DISPATCHED,
        EventType.ORDER_SHIPPED,  # the milestone, caused by the shipment that completed it
        EventType.ORDER_COMPLETED,
        EventType.INVOICE_ISSUED,
        EventType.INVOICE_ISSUED,
        EventType.PAYMENT_RECEIVED,
        EventType.PAYMENT_RECEIVED,
        EventType.PAYMENT_RECEIVED,
        EventType.ORDER_PAID,
        EventType.DOCUMENT_GENERATED,
    ]
    assert len({entry["event_id"] for entry in timeline}) == len(timeline)
    summaries = {entry["type"]: entry["summary"] for entry in timeline}
    assert summaries[EventType.STOCK_RESERVED] == "Stock reserved for 2 line(s)"
    assert summaries[EventType.INVOICE_ISSUED] == "Invoice INV-2026-000001 issued: 36.30 EUR"
    assert summaries[EventType.DOCUMENT_GENERATED] == f"Order confirmation PDF generated ({number})"
    assert {entry["source"] for entry in timeline} == {
        "/orders",
        "/inventory",
        "/billing",
        "/documents",
    }
    assert timeline[2]["data"]["lines"][0] == {"sku": "BOLT", "quantity": "10"}

    records = await dlq.read_topic(service.kafka, service.kafka.topic("orders.events"))
    completed_events = [
        json.loads(r.value)
        for r in records
        if r.key == order_id.encode() and b"order.completed" in r.value
    ]
    assert len(completed_events) == 1
    assert completed_events[0]["data"]["order"]["totals"]["gross"] == "36.30"


async def test_a_run_of_events_about_one_order_applies_each_once_in_order(
    orders_service: Any,
) -> None:
    """Events about one order sent together, as a consumer behind finds them: a batch hands
    the order each handler saved to the next (ADR 58), and each event still counts once."""
    service = orders_service
    order = await create_confirmed_order(service)
    order_id, number = order["id"], order["number"]
    pdfs = [
        event(
            EventType.DOCUMENT_GENERATED,
            document_generated(
                order_id, f"{number}-{n}", kind="invoice", document_id=str(uuid.uuid4())
            ).model_dump(mode="json"),
            "/documents",
            order_id,
        )
        for n in range(12)
    ]
    topic = service.kafka.topic("documents.events")
    key = order_id.encode()
    # Not waited for one by one: the broker gets them together, the consumer in few batches.
    sent = [
        await service.producer.send(topic, value=pdf.model_dump_json().encode(), key=key)
        for pdf in [*pdfs[:5], pdfs[2], *pdfs[5:]]  # one redelivered among them
    ]
    for delivery in sent:
        await delivery

    found = await order_matches(
        service,
        order_id,
        documents=[
            {
                "document_id": pdf.data.document_id,
                "kind": "invoice",
                "reference": pdf.data.reference,
                "download_path": pdf.data.download_path,
            }
            for pdf in pdfs
        ],
    )
    assert found["fulfilment"] == "reserving"  # nothing else changed
    listed = await service.client.get(f"/orders/{order_id}/timeline", params={"limit": 100})
    timeline = listed.json()["items"]
    booked = [e["event_id"] for e in timeline if e["type"] == EventType.DOCUMENT_GENERATED]
    assert booked == [pdf.id for pdf in pdfs]


def submission(reference: str, *, confirm: bool) -> CloudEvent[Any]:
    payload = OrderSubmitted.model_validate(
        {
            "external_reference": reference,
            "customer": {"name": "Webshop Customer", "email": f"{reference}@example.com"},
            "currency": "EUR",
            "lines": [{"sku": "BOLT", "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
            "confirm": confirm,
        }
    )
    return new_event(EventType.ORDER_SUBMITTED, payload, source="/webshop", subject=reference)


async def orders_with_reference(service: Any, reference: str) -> list[dict[str, Any]]:
    response = await service.client.get("/orders", params={"external_reference": reference})
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_inbound_orders_are_created_once_and_bad_ones_dead_lettered(
    orders_service: Any,
) -> None:
    service = orders_service
    reference, later = f"SHOP-{uuid.uuid4().hex[:8]}", f"SHOP-{uuid.uuid4().hex[:8]}"
    submitted = submission(reference, confirm=True)
    invalid = {**json.loads(submitted.model_dump_json()), "id": str(uuid.uuid4())}
    invalid["data"] = {**invalid["data"], "currency": "XXQ", "external_reference": "BAD-1"}
    resubmitted = submission(reference, confirm=True)  # another event id, the same order

    await service.send("orders.inbound", json.dumps(invalid).encode(), reference)
    await service.send("orders.inbound", submitted, reference)
    await service.send("orders.inbound", submitted, reference)  # redelivered
    await service.send("orders.inbound", resubmitted, reference)
    await service.send("orders.inbound", submission(later, confirm=False), reference)

    async def later_created() -> list[dict[str, Any]]:
        return await orders_with_reference(service, later)

    [draft] = await eventually(later_created, within=20, interval=0.1)
    assert draft["status"] == "draft"
    [order] = await orders_with_reference(service, reference)
    assert (order["status"], order["fulfilment"]) == ("open", "reserving")
    assert order["customer"]["email"] == f"{reference}@example.com"
    assert order["lines"][0]["description"] == "BOLT"

    timeline = (await service.client.get(f"/orders/{order['id']}/timeline")).json()["items"]
    assert [(e["type"], e["source"]) for e in timeline] == [
        (EventType.ORDER_SUBMITTED, "/webshop"),
        (EventType.ORDER_CREATED, "/orders"),
        (EventType.ORDER_CONFIRMED, "/orders"),
    ]
    assert timeline[0]["event_id"] == submitted.id

    async def published() -> list[Any] | None:
        records = await dlq.read_topic(service.kafka, service.kafka.topic("orders.events"))
        mine = [json.loads(r.value) for r in records if r.key == order["id"].encode()]
        return mine if len(mine) >= 2 else None

    events = await eventually(published, within=20)
    assert [e["type"] for e in events] == [EventType.ORDER_CREATED, EventType.ORDER_CONFIRMED]
    assert {e["causationid"] for e in events} == {submitted.id}
    assert {e["correlationid"] for e in events} == {submitted.correlationid}
    assert events[0]["data"]["external_reference"] == reference

    letters = await dlq.read_dead_letters(service.kafka, service.kafka.topic("orders.inbound.dlq"))
    assert [json.loads(letter.value or b"{}")["id"] for letter in letters] == [invalid["id"]]
    assert "currency" in letters[0].error
    assert "'XXQ' is not an ISO 4217 currency code" in letters[0].error


async def test_an_event_about_an_unknown_order_is_dead_lettered(orders_service: Any) -> None:
    service = orders_service
    ghost = str(uuid.uuid4())
    reserved = event(
        EventType.STOCK_RESERVED,
        {"order_id": ghost, "lines": [{"sku": "BOLT", "quantity": "1"}]},
        "/inventory",
        ghost,
    )
    await service.send("inventory.events", reserved, ghost)
    # The partition keeps moving: a later event on the same key... and on any key is processed.
    order = await create_confirmed_order(service)
    follow_up = event(
        EventType.STOCK_RESERVED,
        {"order_id": order["id"], "lines": [{"sku": "BOLT", "quantity": "10"}]},
        "/inventory",
        order["id"],
    )
    await service.send("inventory.events", follow_up, ghost)
    await order_matches(service, order["id"], fulfilment="reserved")

    async def dead_letter() -> list[dlq.DeadLetter]:
        return await dlq.read_dead_letters(
            service.kafka, service.kafka.topic("inventory.events.dlq"), wait_seconds=2
        )

    [letter] = await eventually(dead_letter, within=20)
    assert json.loads(letter.value or b"{}")["id"] == reserved.id
    assert letter.headers[dlq.ERROR_TYPE] == "PermanentError"
    assert ghost in letter.error
