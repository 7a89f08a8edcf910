"""Generate a document: render it, store the file, record the row and announce it.

Idempotent by construction. The document's id comes from the fact it shows (order or quote id,
kind, order, invoice or quote number) and `(kind, reference)` is unique, so the same fact
arriving again under any event id finds its row. Rendering is deterministic and the storage key
is the content hash, so a retry after a crash rewrites the very same file, and a new rendition
(an order confirmed again after a change) never overwrites the bytes the committed row points
at.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contracts import CloudEvent, EventType
from contracts.events import (
    DeliveryNoteGenerated,
    DocumentGenerated,
    PurchaseOrderDocumentGenerated,
    QuoteDocumentGenerated,
)
from contracts.events import DocumentKind as ContractKind
from documents.domain.model import (
    PDF,
    Document,
    DocumentKind,
    PrintableDocument,
    ReferenceTaken,
    document_id,
    filename_for,
    storage_key,
)
from documents.service_layer.ports import DocumentStorage, Renderer, StoredObjectMissing
from documents.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "/documents"


class Outcome(StrEnum):
    CREATED = "created"  # a new document: row stored, event written
    UPDATED = "updated"  # the same document with different content: new rendition, event
    UNCHANGED = "unchanged"  # the same document, the same bytes: nothing to do
    RESTORED = "restored"  # the same bytes, but the stored file was missing or damaged


@dataclass(frozen=True)
class Generated:
    document: Document
    outcome: Outcome


async def generate_document(
    uow: UnitOfWork,
    printable: PrintableDocument,
    *,
    subject: str,
    cause: CloudEvent[Any],
    renderer: Renderer,
    storage: DocumentStorage,
) -> Generated:
    """Render and store `printable`, caused by the event `cause` about order (or quote)
    `subject`."""
    kind, reference = printable.kind, printable.number
    content = await renderer.render(printable)
    sha256 = hashlib.sha256(content).hexdigest()

    # Most documents are new: the row and its event are written unless a document shows the
    # number already, with nothing read first (one round trip fewer). The file is stored before
    # the commit either way, so the committed row never points at a file that is not there,
    # and a retry renders the same bytes and rewrites the same key.
    document = _new_document(printable, subject, cause, content, sha256)
    if await uow.add_new_and_record(document, generated_event(document, cause)):
        await storage.put(document.storage_key, content)
        log.info("%s %s created (%d bytes)", kind.value, reference, len(content))
        return Generated(document, Outcome.CREATED)

    existing = await uow.documents.get_by_reference(kind, reference, for_update=True)
    if existing is None:  # its row was deleted since the insert met it: the retry adds it
        raise RuntimeError(f"{kind.value} {reference} was there a moment ago and is gone")
    if existing.subject_id != printable.subject_id:
        owner = "quote" if kind.about_quote else "order"
        if kind.about_purchase_order:
            owner = "purchase order"
        raise ReferenceTaken(
            f"{kind.value} {reference} already belongs to {owner} {existing.subject_id}, "
            f"not {printable.subject_id}"
        )
    key = storage_key(kind, existing.id, sha256)
    if existing.sha256 == sha256 and existing.storage_key == key:
        if await _intact(storage, existing):
            log.info("%s %s is already stored, unchanged", kind.value, reference)
            return Generated(existing, Outcome.UNCHANGED)
        log.warning("stored file of %s %s was missing or damaged: rewriting it", kind, reference)
        await storage.put(key, content)
        return Generated(existing, Outcome.RESTORED)

    await storage.put(key, content)
    existing.size = len(content)
    existing.sha256 = sha256
    existing.storage_key = key
    existing.source_event_id = cause.id
    existing.template_id = printable.template_id
    existing.language = printable.language
    await uow.documents.update(existing)
    await uow.record(generated_event(existing, cause))
    log.info("%s %s updated (%d bytes)", kind.value, reference, len(content))
    return Generated(existing, Outcome.UPDATED)


def _new_document(
    printable: PrintableDocument,
    subject: str,
    cause: CloudEvent[Any],
    content: bytes,
    sha256: str,
) -> Document:
    """`printable` rendered as `content`, as a document that no row shows yet."""
    kind = printable.kind
    doc_id = document_id(subject, kind, printable.number)
    return Document(
        id=doc_id,
        order_id=printable.subject_id if kind.about_order else None,
        quote_id=printable.subject_id if kind.about_quote else None,
        purchase_order_id=printable.subject_id if kind.about_purchase_order else None,
        kind=kind,
        reference=printable.number,
        filename=filename_for(printable.number),
        content_type=PDF,
        size=len(content),
        sha256=sha256,
        storage_key=storage_key(kind, doc_id, sha256),  # as `new_document_key` has it
        source_event_id=cause.id,
        template_id=printable.template_id,
        language=printable.language,
    )


def new_document_key(printable: PrintableDocument, content: bytes) -> str | None:
    """Where `generate_document` stores `content`, rendered from `printable`, when no document
    shows its number yet (and the event names no other subject); None if it has no number."""
    if not printable.number.strip():
        return None  # refused by the handler: nothing to store
    doc_id = document_id(printable.subject_id, printable.kind, printable.number)
    return storage_key(printable.kind, doc_id, hashlib.sha256(content).hexdigest())


def generated_event(document: Document, cause: CloudEvent[Any]) -> CloudEvent[Any]:
    """`suite.document.generated.v1` about `document`, keyed by its order id; for a quotation
    `suite.quote.document_generated.v1`, keyed by its quote id; for a purchase order
    `suite.purchase_order.document_generated.v1`, keyed by its id; for a delivery note
    `suite.delivery_note.generated.v1` (naming the shipment that caused it), keyed by the
    order id."""
    file = {
        "document_id": str(document.id),
        "reference": document.reference,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "download_path": document.download_path,
    }
    subject = document.subject_id
    if document.kind is DocumentKind.QUOTE:
        quote = QuoteDocumentGenerated(quote_id=subject, **file)
        return cause.caused(
            EventType.QUOTE_DOCUMENT_GENERATED, quote, source=SOURCE, subject=subject
        )
    if document.kind is DocumentKind.PURCHASE_ORDER:
        po = PurchaseOrderDocumentGenerated(purchase_order_id=subject, **file)
        return cause.caused(
            EventType.PURCHASE_ORDER_DOCUMENT_GENERATED, po, source=SOURCE, subject=subject
        )
    if document.kind is DocumentKind.DELIVERY_NOTE:
        note = DeliveryNoteGenerated(order_id=subject, shipment_id=cause.data.shipment_id, **file)
        return cause.caused(EventType.DELIVERY_NOTE_GENERATED, note, source=SOURCE, subject=subject)
    kind = ContractKind(document.kind.value)
    payload = DocumentGenerated(order_id=subject, kind=kind, **file)
    return cause.caused(EventType.DOCUMENT_GENERATED, payload, source=SOURCE, subject=subject)


async def _intact(storage: DocumentStorage, document: Document) -> bool:
    try:
        content = await storage.get(document.storage_key)
    except StoredObjectMissing:
        return False
    return hashlib.sha256(content).hexdigest() == document.sha256
