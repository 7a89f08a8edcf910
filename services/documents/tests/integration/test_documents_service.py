"""The documents service against a real Kafka broker and a real PostgreSQL server."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pypdf import PdfReader

from contracts import CloudEvent, EventType, new_event
from servicekit import dlq
from servicekit.testing import bearer, eventually, order_event


@pytest.fixture
async def service(start_service) -> AsyncIterator[Any]:
    async with start_service(company_name="Compañía Ejemplo S.L.") as running:
        yield running


async def test_order_confirmation_is_rendered_stored_announced_and_served(
    service: Any, order_builder
) -> None:
    order_id = str(uuid.uuid4())
    order = order_builder(order_id, "SO-2026-000001", line_count=60)
    event = order_event(EventType.ORDER_CONFIRMED, order)
    await service.publish("orders.events", event, key=order_id)

    [item] = await eventually(lambda: service.documents_of(order_id), within=30)
    document_id = item["id"]
    assert item["order_id"] == order_id
    assert item["kind"] == "order_confirmation"
    assert item["reference"] == "SO-2026-000001"
    assert item["filename"] == "SO-2026-000001.pdf"
    assert item["content_type"] == "application/pdf"
    assert item["download_path"] == f"/documents/{document_id}/content"
    assert (await service.client.get(f"/documents/{document_id}")).json() == item

    # The stored file is the one the row describes.
    row = await service.row(document_id)
    assert row.source_event_id == event.id
    stored = (service.storage_dir / row.storage_key).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == item["sha256"] == row.sha256
    assert len(stored) == item["size"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored)).pages)
    assert "SO-2026-000001" in text
    assert "ООО Ромашка" in text

    # Announced on documents.events, keyed by the order id, caused by the confirmation.
    async def announced() -> list[tuple[bytes, CloudEvent[Any]]]:
        return await service.generated_events()

    [(key, generated)] = await eventually(announced, within=20)
    assert key == order_id.encode()
    assert generated.type == EventType.DOCUMENT_GENERATED
    assert generated.subject == order_id
    assert generated.causationid == event.id
    assert generated.correlationid == event.correlationid
    assert generated.data.document_id == document_id
    assert generated.data.sha256 == item["sha256"]
    assert generated.data.size == item["size"]
    assert generated.data.download_path == item["download_path"]

    # Downloaded: the same bytes, as an attachment, with the checksum as ETag.
    response = await service.client.get(item["download_path"])
    assert response.status_code == 200
    assert response.content == stored
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="SO-2026-000001.pdf"'
    assert response.headers["etag"] == f'"{item["sha256"]}"'
    unchanged = await service.client.get(
        item["download_path"], headers={"If-None-Match": response.headers["etag"]}
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    # A damaged or vanished file is refused, never served.
    path = service.storage_dir / row.storage_key
    path.write_bytes(stored[:-10] + b"corrupted!")
    damaged = await service.client.get(item["download_path"])
    assert damaged.status_code == 500
    assert damaged.headers["content-type"] == "application/problem+json"
    assert "checksum" in damaged.json()["detail"]
    path.unlink()
    missing = await service.client.get(item["download_path"])
    assert missing.status_code == 500
    assert "missing" in missing.json()["detail"]

    unknown = await service.client.get(f"/documents/{uuid.uuid4()}/content")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    bad_kind = await service.client.get("/documents", params={"kind": "receipt"})
    assert bad_kind.status_code == 422


async def test_invoices_are_idempotent_and_bad_events_are_dead_lettered(
    service: Any, invoice_builder
) -> None:
    order_id = str(uuid.uuid4())
    issued = invoice_builder(order_id, "INV-2026-000001", "SO-2026-000001", line_count=12)

    def invoice_event(payload: Any, subject: str = order_id) -> CloudEvent[Any]:
        return new_event(EventType.INVOICE_ISSUED, payload, source="/billing", subject=subject)

    invalid = json.loads(invoice_event(issued).model_dump_json())
    del invalid["data"]["totals"]  # fails the contract: dead-lettered by the consumer
    invalid_bytes = json.dumps(invalid).encode()
    first = invoice_event(issued)
    same_fact = invoice_event(issued)  # a new event id for the same invoice
    misaddressed = invoice_event(  # its subject is not its order: dead-lettered by the handler
        invoice_builder(order_id, "INV-2026-000099", "SO-2026-000001", line_count=1),
        subject="some-other-order",
    )
    second = invoice_event(
        invoice_builder(order_id, "INV-2026-000002", "SO-2026-000001", line_count=2)
    )
    # One key, so one partition: they are consumed in this order.
    for event in (invalid_bytes, first, first, same_fact, misaddressed, second):
        await service.publish("billing.events", event, key=order_id)

    async def both_invoices() -> list[dict[str, Any]] | None:
        items = await service.documents_of(order_id)
        references = {item["reference"] for item in items}
        return items if references == {"INV-2026-000001", "INV-2026-000002"} else None

    items = await eventually(both_invoices, within=40)
    assert len(items) == 2
    assert await service.count_rows() == 2
    assert {i["kind"] for i in items} == {"invoice"}
    invoice = next(i for i in items if i["reference"] == "INV-2026-000001")
    assert invoice["filename"] == "INV-2026-000001.pdf"
    row = await service.row(invoice["id"])
    assert row.source_event_id == first.id  # the redelivery and the new event id changed nothing
    content = (await service.client.get(invoice["download_path"])).content
    assert hashlib.sha256(content).hexdigest() == invoice["sha256"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Invoice" in text
    assert "INV-2026-000001" in text

    async def two_announcements() -> list[tuple[bytes, CloudEvent[Any]]] | None:
        events = await service.generated_events()
        return events if len(events) >= 2 else None

    events = await eventually(two_announcements, within=20)
    assert sorted(e.data.reference for _, e in events) == ["INV-2026-000001", "INV-2026-000002"]
    assert {key for key, _ in events} == {order_id.encode()}

    letters = await dlq.read_dead_letters(service.kafka, service.kafka.topic("billing.events.dlq"))
    assert [letter.value for letter in letters] == [
        invalid_bytes,
        misaddressed.model_dump_json().encode(),
    ]
    assert "totals" in letters[0].error
    assert "not the order id" in letters[1].error

    # Pagination over the two documents.
    page1 = (
        await service.client.get("/documents", params={"order_id": order_id, "limit": 1})
    ).json()
    assert len(page1["items"]) == 1
    assert page1["next_cursor"]
    page2 = (
        await service.client.get(
            "/documents",
            params={"order_id": order_id, "limit": 1, "cursor": page1["next_cursor"]},
        )
    ).json()
    assert len(page2["items"]) == 1
    assert page2["next_cursor"] is None
    assert {page1["items"][0]["id"], page2["items"][0]["id"]} == {i["id"] for i in items}
    invoices = (await service.client.get("/documents", params={"kind": "invoice"})).json()
    assert len(invoices["items"]) == 2
    confirmations = await service.client.get("/documents", params={"kind": "order_confirmation"})
    assert confirmations.json() == {"items": [], "next_cursor": None}
    bad_cursor = await service.client.get("/documents", params={"cursor": "nonsense"})
    assert bad_cursor.status_code == 422


async def test_the_documents_list_exports_to_csv_with_its_filters(
    service: Any, order_builder
) -> None:
    order_id = str(uuid.uuid4())
    order = order_builder(order_id, "=SO-2026-000777")
    await service.publish(
        "orders.events", order_event(EventType.ORDER_CONFIRMED, order), key=order_id
    )
    [item] = await eventually(lambda: service.documents_of(order_id), within=30)

    response = await service.client.get("/exports/documents.csv", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="documents.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [
        (r["id"], r["kind"], r["reference"], r["sha256"], r["download_path"]) for r in rows
    ] == [
        (
            item["id"],
            "order_confirmation",
            "'=SO-2026-000777",
            item["sha256"],
            item["download_path"],
        )
    ]
    invoices = await service.client.get(
        "/exports/documents.csv", params={"order_id": order_id, "kind": "invoice"}
    )
    assert invoices.text.splitlines() == [invoices.text.splitlines()[0]]  # the header alone
    refused = await service.client.get("/exports/documents.csv", headers=bearer())
    assert refused.status_code == 403
