"""Document identity, filenames and what documents print: pure rules."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from documents.domain.model import (
    Customer,
    DocumentKind,
    PaymentTerms,
    PostalAddress,
    PrintableDocument,
    PrintLine,
    PrintTotals,
    TaxAmount,
    document_id,
    filename_for,
    storage_key,
    tax_breakdown,
)


def test_document_id_is_derived_from_the_fact() -> None:
    first = document_id("order-1", DocumentKind.INVOICE, "INV-1")
    assert first == document_id("order-1", DocumentKind.INVOICE, "INV-1")
    assert first.version == 5
    assert first != document_id("order-1", DocumentKind.ORDER_CONFIRMATION, "INV-1")
    assert first != document_id("order-1", DocumentKind.INVOICE, "INV-2")
    assert first != document_id("order-2", DocumentKind.INVOICE, "INV-1")


def test_filenames_are_safe() -> None:
    assert filename_for("SO-2026-000001") == "SO-2026-000001.pdf"
    assert filename_for("INV/2026 #7") == "INV_2026_7.pdf"
    assert filename_for("../../etc/passwd") == "etc_passwd.pdf"
    assert filename_for("Счёт 5") == "5.pdf"
    assert filename_for("Счёт") == "document.pdf"
    assert len(filename_for("x" * 500)) == 154


def test_storage_key_is_content_addressed() -> None:
    doc = uuid.UUID(int=1)
    assert storage_key(DocumentKind.INVOICE, doc, "ab" * 32) == f"invoice/{doc}/{'ab' * 32}.pdf"


def line(rate: str, net: str, tax: str) -> PrintLine:
    return PrintLine(
        line_no=1,
        sku="S",
        description="d",
        quantity=Decimal(1),
        unit_price=Decimal(net),
        discount_percent=Decimal(0),
        tax_rate=Decimal(rate),
        net_amount=Decimal(net),
        tax_amount=Decimal(tax),
        gross_amount=Decimal(net) + Decimal(tax),
    )


def test_tax_breakdown_groups_lines_by_rate() -> None:
    lines = [
        line("19.0000", "100.00", "19.00"),
        line("7", "10.00", "0.70"),
        line("19", "1", "0.19"),
    ]
    assert tax_breakdown(lines) == (
        TaxAmount(Decimal("7"), Decimal("10.00"), Decimal("0.70")),
        TaxAmount(Decimal("19"), Decimal("101.00"), Decimal("19.19")),
    )


def document(**changes: object) -> PrintableDocument:
    zero = Decimal(0)
    values: dict[str, object] = {
        "kind": DocumentKind.INVOICE,
        "number": "N",
        "subject_id": "o",
        "currency": "EUR",
        "customer": Customer(name="c"),
        "document_date": date(2026, 1, 1),
        "payment_terms": PaymentTerms(days=0),
        "lines": (line("7", "10.00", "0.70"),),
        "totals": PrintTotals(zero, zero, zero),
    }
    values.update(changes)
    return PrintableDocument(**values)  # type: ignore[arg-type]


def test_documents_use_the_payload_breakdown_else_compute_one() -> None:
    assert document().taxes == (TaxAmount(Decimal("7"), Decimal("10.00"), Decimal("0.70")),)
    given = (TaxAmount(Decimal("7"), Decimal("9.99"), Decimal("0.70")),)
    totals = PrintTotals(Decimal(0), Decimal(0), Decimal(0), taxes=given)
    assert document(totals=totals).taxes == given


def test_titles() -> None:
    assert document().title == "Invoice"
    assert document(kind=DocumentKind.ORDER_CONFIRMATION).title == "Order confirmation"


def test_payment_terms_wording() -> None:
    assert PaymentTerms(days=30).wording() == "Payable within 30 days."
    assert PaymentTerms(days=0).wording() == "Payable immediately upon receipt."
    assert PaymentTerms(days=30, text="2 % Skonto 10 Tage").wording() == "2 % Skonto 10 Tage"


def test_address_lines() -> None:
    address = PostalAddress(
        name="Señora Núñez",
        line1="Calle de Alcalá 42",
        line2=None,
        postal_code="28014",
        city="Madrid",
        region="Madrid",
        country="ES",
    )
    assert address.lines() == ["Señora Núñez", "Calle de Alcalá 42", "28014 Madrid, Madrid", "ES"]
