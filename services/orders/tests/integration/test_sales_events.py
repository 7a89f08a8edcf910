"""PDF links, quote documents, e-mails and recurring billing: events in and out of a running
service over a real broker."""

from __future__ import annotations

import json
import uuid
from typing import Any

from orders_builders import document_generated

from contracts import EventType, new_event
from contracts.events import DocumentEmailed, QuoteDocumentGenerated
from servicekit import dlq
from servicekit.testing import eventually

DOCUMENTS_URL = "http://127.0.0.1:8004"  # the default of ORDERS_DOCUMENTS_URL

LINES = [
    {
        "sku": "PUMP-1",
        "kind": "product",
        "description": "Pump",
        "quantity": "1",
        "unit_price": "120.00",
        "tax_rate": "21",
    }
]


async def a_customer(service: Any) -> dict[str, Any]:
    customer: dict[str, Any] = await service.new_customer("Bombas Lema")
    return customer


async def a_draft(service: Any, collection: str) -> dict[str, Any]:
    """A new customer's draft of LINES; `collection` is "/orders" or "/quotes"."""
    customer = await a_customer(service)
    body = {"customer_id": customer["id"], "currency": "EUR", "lines": LINES}
    draft: dict[str, Any] = await service.created(collection, body)
    return draft


def generated(order_id: str, document_id: str, kind: str, reference: str) -> Any:
    payload = document_generated(order_id, reference, kind=kind, document_id=document_id)
    return new_event(EventType.DOCUMENT_GENERATED, payload, source="/documents", subject=order_id)


def emailed(document_id: str, status: str, *, order_id: str | None = None, **extra: Any) -> Any:
    subject = order_id or extra.get("quote_id")
    payload = DocumentEmailed(
        email_id=extra.pop("email_id", str(uuid.uuid4())),
        document_id=document_id,
        order_id=order_id,
        to=["ana@example.com"],
        subject="Your document",
        status=status,
        attempts=extra.pop("attempts", 1),
        **extra,
    )
    return new_event(EventType.DOCUMENT_EMAILED, payload, source="/documents", subject=subject)


async def redirect_of(client: Any, path: str) -> str | None:
    response = await client.get(path)
    if response.status_code == 404:
        return None
    assert response.status_code == 307, response.text
    location: str = response.headers["location"]
    return location


async def test_order_pdf_redirects_to_its_latest_document_and_emails_reach_the_timeline(
    orders_service: Any,
) -> None:
    service, client = orders_service, orders_service.client
    order = await a_draft(service, "/orders")
    await client.post(f"/orders/{order['id']}/confirm")
    missing = await client.get(f"/orders/{order['id']}/pdf")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"

    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await service.send(
        "documents.events",
        generated(order["id"], first, "order_confirmation", order["number"]),
        order["id"],
    )

    async def pdf_is(document_id: str, kind: str = "order_confirmation") -> bool:
        location = await redirect_of(client, f"/orders/{order['id']}/pdf?kind={kind}")
        return location == f"{DOCUMENTS_URL}/documents/{document_id}/content"

    await eventually(lambda: pdf_is(first), within=20)
    await service.send(
        "documents.events",
        generated(order["id"], second, "order_confirmation", order["number"]),
        order["id"],
    )
    await eventually(lambda: pdf_is(second), within=20)  # the latest rendition
    assert await redirect_of(client, f"/orders/{order['id']}/pdf?kind=invoice") is None

    sent = emailed(second, "sent", order_id=order["id"])
    failed = emailed(
        second, "failed", order_id=order["id"], attempts=5, error="550 mailbox unavailable"
    )
    again = emailed(
        second,
        "failed",
        order_id=order["id"],
        attempts=5,
        error="550 mailbox unavailable",
        email_id=failed.data.email_id,
    )  # the same outcome under another event id: recorded once
    for event in (sent, failed, again):
        await service.send("documents.events", event, order["id"])

    async def email_entries() -> list[str] | None:
        items = (await client.get(f"/orders/{order['id']}/timeline")).json()["items"]
        found = [e["summary"] for e in items if e["type"] == EventType.DOCUMENT_EMAILED]
        return found if len(found) >= 2 else None

    await eventually(email_entries, within=20)
    # The duplicate came after both: once it is consumed, it must not have added an entry.
    marker = emailed(second, "sent", order_id=order["id"])
    await service.send("documents.events", marker, order["id"])

    async def all_consumed() -> list[str] | None:
        found = await email_entries()
        return found if found is not None and len(found) >= 3 else None

    summaries = await eventually(all_consumed, within=20)
    assert summaries == [
        "Order confirmation e-mailed to ana@example.com",
        "E-mail to ana@example.com failed after 5 attempts: 550 mailbox unavailable",
        "Order confirmation e-mailed to ana@example.com",
    ]


async def test_a_sent_quote_gets_its_pdf_from_the_documents_events(orders_service: Any) -> None:
    service, client = orders_service, orders_service.client
    quote = await a_draft(service, "/quotes")
    await client.post(f"/quotes/{quote['id']}/send")
    assert (await client.get(f"/quotes/{quote['id']}/pdf")).status_code == 404

    document_id = str(uuid.uuid4())
    payload = QuoteDocumentGenerated(
        document_id=document_id,
        quote_id=quote["id"],
        reference=quote["number"],
        filename=f"{quote['number']}.pdf",
        size=1024,
        sha256="b" * 64,
        download_path=f"/documents/{document_id}/content",
    )
    event = new_event(
        EventType.QUOTE_DOCUMENT_GENERATED, payload, source="/documents", subject=quote["id"]
    )
    await service.send("documents.events", event, quote["id"])
    mail = emailed(document_id, "sent", quote_id=quote["id"])
    await service.send("documents.events", mail, quote["id"])

    async def redirected() -> str | None:
        return await redirect_of(client, f"/quotes/{quote['id']}/pdf")

    location = await eventually(redirected, within=20)
    assert location == f"{DOCUMENTS_URL}/documents/{document_id}/content"
    assert (await client.get(f"/quotes/{quote['id']}")).json()["documents"] == [
        {
            "document_id": document_id,
            "reference": quote["number"],
            "download_path": f"/documents/{document_id}/content",
        }
    ]

    async def emailed_entry() -> list[dict[str, Any]]:
        items = (await client.get(f"/quotes/{quote['id']}/timeline")).json()["items"]
        return [e for e in items if e["type"] == EventType.DOCUMENT_EMAILED]

    [entry] = await eventually(emailed_entry, within=20)
    assert entry["summary"] == f"Quote {quote['number']} e-mailed to ana@example.com"

    # A document of a quote this service does not know is dead-lettered, not retried forever.
    stray = new_event(
        EventType.QUOTE_DOCUMENT_GENERATED,
        payload.model_copy(update={"quote_id": str(uuid.uuid4())}),
        source="/documents",
        subject="unknown",
    )
    await service.send("documents.events", stray, "unknown")

    async def dead_letters() -> list[Any]:
        letters = await dlq.read_dead_letters(
            service.kafka, service.kafka.topic("documents.events.dlq")
        )
        return [d for d in letters if d.value and json.loads(d.value)["id"] == stray.id]

    await eventually(dead_letters, within=30)


async def test_recurring_billing_template_and_opportunity_travel_in_order_confirmed(
    orders_service: Any,
) -> None:
    service, client = orders_service, orders_service.client
    customer = await a_customer(service)
    bad = await client.post(
        "/orders",
        json={
            "customer_id": customer["id"],
            "currency": "EUR",
            "recurring": {"frequency": "monthly", "start": "2027-03-01", "end": "2027-03-01"},
            "lines": LINES,
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.recurring.end"
    order = (
        await client.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "template_id": "tpl-classic",
                "opportunity": {"id": "OPP-R1", "name": "Service contract"},
                "recurring": {"frequency": "monthly", "start": "2027-03-01"},
                "lines": LINES,
            },
        )
    ).json()
    patched = await client.patch(
        f"/orders/{order['id']}",
        json={"recurring": {"frequency": "quarterly", "start": "2027-04-01", "end": "2028-04-01"}},
    )
    assert patched.status_code == 200, patched.text
    assert (await client.post(f"/orders/{order['id']}/confirm")).status_code == 200

    async def confirmed() -> list[dict[str, Any]]:
        records = await dlq.read_topic(service.kafka, service.kafka.topic("orders.events"))
        events = [json.loads(r.value) for r in records if r.key == order["id"].encode()]
        return [e for e in events if e["type"] == EventType.ORDER_CONFIRMED]

    [event] = await eventually(confirmed, within=20)
    snapshot = event["data"]["order"]
    assert snapshot["recurring"] == {
        "frequency": "quarterly",
        "start": "2027-04-01",
        "end": "2028-04-01",
    }
    assert snapshot["template_id"] == "tpl-classic"
    assert snapshot["opportunity"] == {"id": "OPP-R1", "name": "Service contract"}
    assert snapshot["stage"] is None
