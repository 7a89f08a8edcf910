"""Make an invoice's PDF an electronic invoice: embed billing's CII XML (EN 16931) in the
invoice PDF this service printed, as a Factur-X PDF/A-3, store it as the `einvoice` document
of the invoice's order and announce it (`suite.einvoice.generated.v1`).

Billing sends the XML in `suite.einvoice.prepared.v1` (keyed by the order, on the topic that
carried the invoice before it), so the invoice's PDF is here when it arrives; if the invoice's
PDF never was (its rendering was dead-lettered) the e-invoice is dead-lettered too, with the
reason, and can be replayed. Factur-X stamps the time it was made into the file, so a second
request makes a new rendition of the same document (a new file, the row updated, a new event).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from contracts import CloudEvent, EventType
from contracts.events import EInvoiceGenerated, EInvoicePrepared
from documents.domain.model import (
    PDF,
    Document,
    DocumentKind,
    document_id,
    filename_for,
    storage_key,
)
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.reading import ContentUnavailable, document_content
from documents.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "/documents"

# UNTDID 1001 document type -> the kind of the PDF the XML is embedded in
PRINTED_KIND = {"380": DocumentKind.INVOICE, "381": DocumentKind.CREDIT_NOTE}


class EInvoiceRefused(Exception):
    """The e-invoice cannot be made from this event (no printed PDF, XML refused...)."""


class EInvoiceAssembler(Protocol):
    async def embed(self, pdf: bytes, xml: bytes) -> bytes:
        """The PDF as a Factur-X PDF/A-3 with `xml` embedded; raises EInvoiceRefused when the
        XML is not valid against its schema."""
        ...


async def make_einvoice(
    uow: UnitOfWork,
    cause: CloudEvent[EInvoicePrepared],
    *,
    assembler: EInvoiceAssembler,
    storage: DocumentStorage,
) -> Document:
    prepared = cause.data
    kind = PRINTED_KIND.get(prepared.document_type)
    if kind is None:
        raise EInvoiceRefused(f"document type {prepared.document_type} is not printed here")
    printed = await uow.documents.get_by_reference(kind, prepared.invoice_number)
    if printed is None:
        label = "invoice" if kind is DocumentKind.INVOICE else kind.value.replace("_", " ")
        raise EInvoiceRefused(f"no {label} PDF of {prepared.invoice_number} was printed")
    if printed.order_id != prepared.order_id:
        raise EInvoiceRefused(
            f"{kind.value} {prepared.invoice_number} belongs to order {printed.order_id}, "
            f"not {prepared.order_id}"
        )
    try:
        pdf = await document_content(printed, storage)
    except ContentUnavailable as exc:
        raise EInvoiceRefused(str(exc)) from exc
    content = await assembler.embed(pdf, prepared.xml.encode("utf-8"))
    sha256 = hashlib.sha256(content).hexdigest()

    reference = prepared.invoice_number
    existing = await uow.documents.get_by_reference(
        DocumentKind.EINVOICE, reference, for_update=True
    )
    doc_id = (
        existing.id
        if existing
        else document_id(prepared.order_id, DocumentKind.EINVOICE, reference)
    )
    key = storage_key(DocumentKind.EINVOICE, doc_id, sha256)
    await storage.put(key, content)
    if existing is None:
        document = Document(
            id=doc_id,
            order_id=prepared.order_id,
            kind=DocumentKind.EINVOICE,
            reference=reference,
            filename=filename_for(f"{reference}-factur-x"),
            content_type=PDF,
            size=len(content),
            sha256=sha256,
            storage_key=key,
            source_event_id=cause.id,
            template_id=printed.template_id,
            language=printed.language,
        )
        await uow.documents.add(document)
    else:
        document = existing
        document.size, document.sha256, document.storage_key = len(content), sha256, key
        document.source_event_id = cause.id
        await uow.documents.update(document)
    await uow.record(einvoice_generated(document, prepared, cause))
    log.info("e-invoice %s stored (%d bytes)", reference, len(content))
    return document


def einvoice_generated(
    document: Document, prepared: EInvoicePrepared, cause: CloudEvent[Any]
) -> CloudEvent[Any]:
    order_id = document.subject_id
    payload = EInvoiceGenerated(
        document_id=str(document.id),
        order_id=order_id,
        invoice_id=prepared.invoice_id,
        reference=document.reference,
        document_type=prepared.document_type,
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        download_path=document.download_path,
    )
    return cause.caused(EventType.EINVOICE_GENERATED, payload, source=SOURCE, subject=order_id)
