"""The generate-document use case with fakes: idempotency, new renditions, self-healing."""

from __future__ import annotations

import hashlib
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest

from contracts import CloudEvent, EventType, new_event
from contracts.events import DocumentGenerated, InvoiceIssued, OrderRevised
from documents.domain.model import (
    Document,
    DocumentKind,
    ReferenceTaken,
    document_id,
    storage_key,
)
from documents.service_layer import printing
from documents.service_layer.generation import Outcome, generate_document, new_document_key
from documents.service_layer.reading import ContentUnavailable, document_content
from documents.service_layer.rendering_ahead import RenderedAhead
from servicekit.testing import order_event

ORDER = "9d0f5c8e-0000-4000-8000-000000000001"


@pytest.fixture
def uow(fake_uow):
    return fake_uow


@pytest.fixture
def storage(fake_storage):
    return fake_storage


@pytest.fixture
def renderer(fake_renderer):
    return fake_renderer


def confirmed(order: Any) -> CloudEvent[Any]:
    return order_event(EventType.ORDER_CONFIRMED, order)


async def generate(uow, storage, renderer, event: CloudEvent[Any]):
    data = event.data
    printable = (
        printing.invoice(data)
        if isinstance(data, InvoiceIssued)
        else printing.order_confirmation(data.order)
    )
    return await generate_document(
        uow, printable, subject=event.subject, cause=event, renderer=renderer, storage=storage
    )


async def test_a_new_document_is_stored_recorded_and_announced(
    uow, storage, renderer, order_builder
) -> None:
    event = confirmed(order_builder(ORDER, "SO-2026-000001", line_count=3))
    result = await generate(uow, storage, renderer, event)

    assert result.outcome is Outcome.CREATED
    doc = result.document
    assert doc.id == document_id(ORDER, DocumentKind.ORDER_CONFIRMATION, "SO-2026-000001")
    assert (doc.order_id, doc.kind, doc.reference) == (
        ORDER,
        DocumentKind.ORDER_CONFIRMATION,
        "SO-2026-000001",
    )
    assert doc.filename == "SO-2026-000001.pdf"
    assert doc.source_event_id == event.id
    content = storage.objects[doc.storage_key]
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert doc.size == len(content)
    assert list(uow.documents.rows) == [doc.id]

    [announced] = uow.events
    assert announced.type == EventType.DOCUMENT_GENERATED
    assert announced.subject == ORDER
    assert announced.causationid == event.id
    assert announced.correlationid == event.correlationid
    assert announced.data == DocumentGenerated(
        document_id=str(doc.id),
        order_id=ORDER,
        kind="order_confirmation",
        reference="SO-2026-000001",
        filename="SO-2026-000001.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=doc.sha256,
        download_path=f"/documents/{doc.id}/content",
    )
    # Rendering ran in a worker thread, not on the event loop's.
    assert renderer.threads
    assert threading.get_ident() not in renderer.threads


async def test_the_same_fact_under_a_new_event_id_changes_nothing(
    uow, storage, renderer, invoice_builder
) -> None:
    issued = invoice_builder(ORDER, "INV-2026-000001", "SO-2026-000001", line_count=3)
    first = await generate(uow, storage, renderer, issued_event(issued))
    again = await generate(uow, storage, renderer, issued_event(issued))

    assert again.outcome is Outcome.UNCHANGED
    assert again.document.id == first.document.id
    assert len(uow.documents.rows) == 1
    assert len(uow.events) == 1
    assert len(storage.objects) == 1
    assert uow.documents.rows[first.document.id].source_event_id == first.document.source_event_id


def issued_event(issued: InvoiceIssued) -> CloudEvent[Any]:
    return new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=issued.order_id)


async def test_a_changed_fact_is_a_new_rendition_of_the_same_document(
    uow, storage, renderer, order_builder
) -> None:
    order = order_builder(ORDER, "SO-2026-000001", line_count=3)
    first = await generate(uow, storage, renderer, confirmed(order))
    old_key = first.document.storage_key

    changed = order.model_copy(update={"customer_reference": "PO-NEW"})
    event = confirmed(changed)
    second = await generate(uow, storage, renderer, event)

    assert second.outcome is Outcome.UPDATED
    assert second.document.id == first.document.id
    assert second.document.sha256 != first.document.sha256
    assert second.document.storage_key != old_key
    assert second.document.source_event_id == event.id
    assert len(uow.documents.rows) == 1
    assert [e.data.sha256 for e in uow.events] == [first.document.sha256, second.document.sha256]
    # The old rendition's bytes were never overwritten (a reader of the old row still verifies).
    assert hashlib.sha256(storage.objects[old_key]).hexdigest() == first.document.sha256


async def test_a_new_document_stored_ahead_is_recorded_under_the_key_written_ahead(
    uow, storage, renderer, order_builder
) -> None:
    event = confirmed(order_builder(ORDER, "SO-2026-000001", line_count=3))
    printable = printing.order_confirmation(event.data.order)
    ahead = RenderedAhead(renderer, storage, new_document_key)
    ahead.start(printable)

    result = await generate_document(
        uow, printable, subject=event.subject, cause=event, renderer=ahead, storage=ahead
    )

    assert result.outcome is Outcome.CREATED
    assert ahead.stored == {result.document.storage_key}
    assert list(storage.objects) == [result.document.storage_key]
    assert storage.written == [result.document.storage_key]  # once: ahead


async def test_a_document_without_a_number_has_no_key_to_store_ahead(order_builder) -> None:
    order = order_builder(ORDER, "SO-2026-000001", line_count=1)
    unnumbered = printing.order_confirmation(order.model_copy(update={"number": " "}))

    assert new_document_key(unnumbered, b"%PDF") is None


async def test_a_damaged_stored_file_is_restored_without_a_new_event(
    uow, storage, renderer, order_builder
) -> None:
    order = order_builder(ORDER, "SO-2026-000001", line_count=3)
    first = await generate(uow, storage, renderer, confirmed(order))
    storage.objects[first.document.storage_key] = b"garbage"

    again = await generate(uow, storage, renderer, confirmed(order))

    assert again.outcome is Outcome.RESTORED
    restored = storage.objects[first.document.storage_key]
    assert hashlib.sha256(restored).hexdigest() == first.document.sha256
    assert len(uow.events) == 1


async def test_a_retry_after_a_crash_rewrites_the_same_file(
    uow, storage, renderer, order_builder, new_fake_uow
) -> None:
    order = order_builder(ORDER, "SO-2026-000001", line_count=3)
    event = confirmed(order)
    # The crashed attempt stored the file, then its transaction never committed: no row.
    crashed = await generate(new_fake_uow(), storage, renderer, event)

    retried = await generate(uow, storage, renderer, event)

    assert retried.outcome is Outcome.CREATED
    assert retried.document.storage_key == crashed.document.storage_key
    assert list(storage.objects) == [crashed.document.storage_key]
    assert len(uow.documents.rows) == 1


async def test_a_number_of_another_order_is_refused(
    uow, storage, renderer, invoice_builder
) -> None:
    await generate(uow, storage, renderer, issued_event(invoice_builder(ORDER, "INV-1", "SO-1")))
    other = invoice_builder("another-order", "INV-1", "SO-2", line_count=2)
    with pytest.raises(ReferenceTaken, match="already belongs to order"):
        await generate(uow, storage, renderer, issued_event(other))
    assert len(uow.documents.rows) == 1


async def test_reading_verifies_the_checksum(storage) -> None:
    content = b"%PDF-1.4 content"
    doc = Document(
        id=uuid.uuid4(),
        order_id=ORDER,
        kind=DocumentKind.INVOICE,
        reference="INV-1",
        filename="INV-1.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=storage_key(DocumentKind.INVOICE, uuid.uuid4(), "a" * 64),
        source_event_id="e",
    )
    with pytest.raises(ContentUnavailable, match="missing"):
        await document_content(doc, storage)
    storage.objects[doc.storage_key] = content
    assert await document_content(doc, storage) == content
    storage.objects[doc.storage_key] = content[:-1] + b"!"
    with pytest.raises(ContentUnavailable, match="checksum"):
        await document_content(doc, storage)


def test_payload_mapping_keeps_what_is_printed(invoice_builder) -> None:
    issued = invoice_builder(ORDER, "INV-9", "SO-9", line_count=4)
    printable = printing.invoice(issued)
    assert printable.kind is DocumentKind.INVOICE
    assert (printable.number, printable.order_number, printable.subject_id) == (
        "INV-9",
        "SO-9",
        ORDER,
    )
    assert printable.due_date == issued.due_date
    assert [line.line_no for line in printable.lines] == [1, 2, 3, 4]
    assert printable.totals.gross == issued.totals.gross
    assert sum(t.amount for t in printable.taxes) == issued.totals.tax
    assert printable.customer.billing_address is not None
    assert printable.customer.billing_address.city == "Москва"
    assert isinstance(printable.lines[0].quantity, Decimal)


async def test_a_revision_is_a_new_confirmation_and_the_earlier_one_is_kept(
    uow, storage, renderer, order_builder
) -> None:
    order = order_builder(ORDER, "SO-2026-000001", line_count=2)
    first = await generate(uow, storage, renderer, confirmed(order))
    changed = order_builder(ORDER, "SO-2026-000001", line_count=3)
    revised = new_event(
        EventType.ORDER_REVISED,
        OrderRevised(order=changed, revision=2),
        source="/orders",
        subject=ORDER,
    )
    printable = printing.revised_order_confirmation(revised.data)
    second = await generate_document(
        uow, printable, subject=ORDER, cause=revised, renderer=renderer, storage=storage
    )
    assert second.outcome is Outcome.CREATED
    assert second.document.reference == "SO-2026-000001-R2"
    assert second.document.kind is DocumentKind.ORDER_CONFIRMATION
    assert set(uow.documents.rows) == {first.document.id, second.document.id}
    assert [e.data.reference for e in uow.events] == ["SO-2026-000001", "SO-2026-000001-R2"]


async def test_a_new_document_is_written_with_nothing_read_first(
    uow, storage, renderer, order_builder, monkeypatch
) -> None:
    looked_up: list[str] = []
    by_reference = uow.documents.get_by_reference

    async def noting(kind: DocumentKind, reference: str, **options: Any) -> Document | None:
        looked_up.append(reference)
        return await by_reference(kind, reference, **options)

    monkeypatch.setattr(uow.documents, "get_by_reference", noting)
    first = confirmed(order_builder(ORDER, "SO-2026-000001", line_count=1))
    assert (await generate(uow, storage, renderer, first)).outcome is Outcome.CREATED
    assert looked_up == []  # the insert itself says whether the number is shown already
    again = await generate(uow, storage, renderer, first)
    assert again.outcome is Outcome.UNCHANGED
    assert looked_up == ["SO-2026-000001"]  # shown already: the row is read, and locked
