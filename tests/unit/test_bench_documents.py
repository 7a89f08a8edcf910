"""The benchmark's documents watcher: which PDFs exist for which order, from the documents
service's events as the suite publishes them."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

from contracts import EventType
from contracts.envelope import new_event
from contracts.events import DeliveryNoteGenerated, DocumentGenerated, DocumentKind


def file_of(document_id: str) -> dict[str, object]:
    return {
        "document_id": document_id,
        "reference": "SO-2026-000001",
        "filename": "SO-2026-000001.pdf",
        "content_type": "application/pdf",
        "size": 1234,
        "sha256": "0" * 64,
        "download_path": f"/documents/{document_id}/content",
    }


def generated(order_id: str, kind: DocumentKind, document_id: str) -> bytes:
    payload = DocumentGenerated(order_id=order_id, kind=kind, **file_of(document_id))
    event = new_event(EventType.DOCUMENT_GENERATED, payload, source="/documents", subject=order_id)
    return event.model_dump_json().encode()


def delivery_note(order_id: str, document_id: str) -> bytes:
    payload = DeliveryNoteGenerated(
        order_id=order_id, shipment_id="shipment-1", **file_of(document_id)
    )
    event = new_event(
        EventType.DELIVERY_NOTE_GENERATED, payload, source="/documents", subject=order_id
    )
    return event.model_dump_json().encode()


def test_each_pdf_is_noted_under_its_order_and_kind(bench: ModuleType) -> None:
    watcher = bench.DocumentWatcher(0.1)
    watcher.note(generated("order-1", DocumentKind.ORDER_CONFIRMATION, "doc-1"), 5.0)
    watcher.note(delivery_note("order-1", "doc-2"), 6.0)
    watcher.note(generated("order-1", DocumentKind.INVOICE, "doc-3"), 7.0)
    watcher.note(generated("order-2", DocumentKind.ORDER_CONFIRMATION, "doc-4"), 8.0)

    kinds = watcher.by_order["order-1"]
    assert set(kinds) == {"order_confirmation", "delivery_note", "invoice"}
    assert [seen for _, seen in kinds.values()] == [5.0, 6.0, 7.0]
    assert all(isinstance(created, datetime) for created, _ in kinds.values())
    assert len(watcher.created(["order-1", "order-2"])) == 4
    assert len(watcher.created(["order-1"], "invoice")) == 1


def test_a_new_rendition_keeps_the_first_time_and_other_events_are_passed_over(
    bench: ModuleType,
) -> None:
    watcher = bench.DocumentWatcher(0.1)
    watcher.note(generated("order-1", DocumentKind.ORDER_CONFIRMATION, "doc-1"), 5.0)
    watcher.note(generated("order-1", DocumentKind.ORDER_CONFIRMATION, "doc-1"), 9.0)
    watcher.note(b'{"type": "suite.order.confirmed.v1", "data": {}}', 9.5)

    assert watcher.by_order["order-1"]["order_confirmation"][1] == 5.0
    assert list(watcher.by_order) == ["order-1"]
