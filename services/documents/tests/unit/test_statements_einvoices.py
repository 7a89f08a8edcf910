"""Statement PDFs and e-invoice assembly without a broker or database (fakes for the ports)."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from contracts import EventType, new_event
from contracts.events import EInvoicePrepared
from documents.adapters.pdf.statement import StatementRenderer
from documents.bootstrap import build_statement_renderer
from documents.config import DocumentsSettings
from documents.domain.model import Document, DocumentKind
from documents.domain.statements import (
    PrintableStatement,
    StatementAccount,
    StatementEntryLine,
)
from documents.service_layer.einvoicing import EInvoiceRefused, make_einvoice


@pytest.fixture(scope="module")
def renderer() -> StatementRenderer:
    return build_statement_renderer(DocumentsSettings())


def _statement(entries: int) -> PrintableStatement:
    lines = tuple(
        StatementEntryLine(
            on=date(2026, 11, 1 + i % 28),
            kind="invoice" if i % 2 else "payment",
            reference=f"REF-{i:04d}",
            debit=Decimal("10.005") if i % 2 else Decimal("0"),
            credit=Decimal("0") if i % 2 else Decimal("4.000"),
            balance=Decimal(i),
        )
        for i in range(entries)
    )
    return PrintableStatement(
        statement_id=uuid.UUID(int=7),
        customer_id="C-1",
        customer_name="Acme",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        accounts=(StatementAccount("BHD", Decimal("1"), Decimal("2.5"), lines),),
    )


def test_a_long_statement_spans_pages_with_its_header_repeated(
    renderer: StatementRenderer,
) -> None:
    content = renderer.render(_statement(120))
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) > 1
    later = reader.pages[-1].extract_text()
    assert "Balance" in later  # the table's header row repeats
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in later
    first = reader.pages[0].extract_text()
    assert "10.005" in first  # BHD: three minor digits
    assert renderer.render(_statement(120)) == content  # deterministic


def test_an_empty_statement_says_so(renderer: StatementRenderer) -> None:
    empty = PrintableStatement(
        statement_id=uuid.UUID(int=8),
        customer_id="C-2",
        customer_name=None,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
    )
    text = PdfReader(io.BytesIO(renderer.render(empty))).pages[0].extract_text()
    assert "No movements and nothing owed." in text
    assert "C-2" in text


class _Assembler:
    async def embed(self, pdf: bytes, xml: bytes) -> bytes:
        return pdf + xml


async def test_no_einvoice_without_the_printed_invoice(fake_uow: Any, fake_storage: Any) -> None:
    payload = EInvoicePrepared(
        invoice_id="i-1",
        invoice_number="INV-1",
        order_id="o-1",
        document_type="380",
        currency="EUR",
        net_total=Decimal("1.00"),
        tax_total=Decimal("0.00"),
        gross_total=Decimal("1.00"),
        profile="urn:cen.eu:en16931:2017",
        xml="<x/>",
    )
    event = new_event(EventType.EINVOICE_PREPARED, payload, source="/billing", subject="o-1")
    with pytest.raises(EInvoiceRefused, match="no invoice PDF of INV-1"):
        await make_einvoice(fake_uow, event, assembler=_Assembler(), storage=fake_storage)
    other_type = event.model_copy(
        update={"data": payload.model_copy(update={"document_type": "325"})}
    )
    with pytest.raises(EInvoiceRefused, match="325"):
        await make_einvoice(fake_uow, other_type, assembler=_Assembler(), storage=fake_storage)
    assert fake_uow.events == []


async def test_a_credit_note_einvoice_embeds_in_the_credit_note_pdf(
    fake_uow: Any, fake_storage: Any
) -> None:
    pdf = b"%PDF-credit-note"
    await fake_storage.put("credit_note/x/sha.pdf", pdf)
    printed = Document(
        id=uuid.uuid4(),
        order_id="o-1",
        kind=DocumentKind.CREDIT_NOTE,
        reference="CN-2026-000001",
        filename="CN-2026-000001.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        storage_key="credit_note/x/sha.pdf",
        source_event_id="e-1",
    )
    await fake_uow.documents.add(printed)
    payload = EInvoicePrepared(
        invoice_id="cn-1",
        invoice_number="CN-2026-000001",
        order_id="o-1",
        document_type="381",
        currency="EUR",
        net_total=Decimal("1.00"),
        tax_total=Decimal("0.00"),
        gross_total=Decimal("1.00"),
        profile="urn:cen.eu:en16931:2017",
        xml="<x/>",
    )
    event = new_event(EventType.EINVOICE_PREPARED, payload, source="/billing", subject="o-1")
    document = await make_einvoice(fake_uow, event, assembler=_Assembler(), storage=fake_storage)
    assert (document.kind, document.reference) == (DocumentKind.EINVOICE, "CN-2026-000001")
    assert await fake_storage.get(document.storage_key) == pdf + b"<x/>"
    [announced] = fake_uow.events
    assert (announced.type, announced.data.document_type) == (EventType.EINVOICE_GENERATED, "381")
