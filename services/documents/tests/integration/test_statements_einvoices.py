"""Customer statements and Factur-X e-invoices, printed from billing's events (real Kafka, real
PostgreSQL): stored, announced, served; bad events dead-lettered with the reason."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from contracts import CloudEvent, EventType, new_event
from contracts.events import (
    EInvoicePrepared,
    InvoiceIssued,
    StatementAccount,
    StatementAmount,
    StatementEntry,
    StatementOpenItem,
    StatementPrepared,
)
from documents.entrypoints.exports_api import STATEMENT_COLUMNS
from servicekit import dlq
from servicekit.testing import bearer, eventually

CII = (Path(__file__).parent.parent / "data" / "cii-en16931.xml").read_text()


@pytest.fixture
async def service(start_service) -> AsyncIterator[Any]:
    async with start_service(company_name="Suite Supplies S.L.") as running:
        yield running


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _statement(customer_id: str, statement_id: str | None = None) -> StatementPrepared:
    d = Decimal
    return StatementPrepared(
        statement_id=statement_id or str(uuid.uuid4()),
        customer_id=customer_id,
        customer_name="Ромашка & Co <b>",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        accounts=[
            StatementAccount(
                currency="EUR",
                opening_balance=d("100.00"),
                entries=[
                    StatementEntry(
                        on=date(2026, 11, 3),
                        kind="invoice",
                        reference="INV-2026-000007",
                        debit=d("1234.50"),
                        credit=d("0.00"),
                        balance=d("1334.50"),
                    ),
                    StatementEntry(
                        on=date(2026, 11, 20),
                        kind="payment",
                        reference="TRF-991",
                        debit=d("0.00"),
                        credit=d("1000.00"),
                        balance=d("334.50"),
                    ),
                ],
                closing_balance=d("334.50"),
            ),
            StatementAccount(
                currency="JPY", opening_balance=d("0"), entries=[], closing_balance=d("-500")
            ),
        ],
        open_items=[
            StatementOpenItem(
                invoice_id="inv-7",
                invoice_number="INV-2026-000007",
                order_id="o-7",
                currency="EUR",
                issue_date=date(2026, 11, 3),
                due_date=date(2026, 11, 17),
                gross=d("1234.50"),
                open=d("234.50"),
                days_past_due=13,
            )
        ],
        credit=[StatementAmount(currency="JPY", amount=d("500"))],
    )


def _prepared(payload: StatementPrepared) -> CloudEvent[Any]:
    return new_event(
        EventType.STATEMENT_PREPARED, payload, source="/billing", subject=payload.customer_id
    )


async def test_a_statement_is_printed_stored_announced_and_served(service: Any) -> None:
    customer_id = f"cust-{uuid.uuid4()}"
    payload = _statement(customer_id)
    event = _prepared(payload)
    not_a_uuid = _prepared(_statement(customer_id, statement_id="not-a-uuid"))
    for each in (not_a_uuid, event, event):  # one key: consumed in this order
        await service.publish("billing.events", each, key=customer_id)

    async def printed() -> dict[str, Any] | None:
        response = await service.client.get(f"/statements/{payload.statement_id}")
        return response.json() if response.status_code == 200 else None

    statement = await eventually(printed, within=40)
    assert statement["customer_id"] == customer_id
    assert (statement["from"], statement["to"]) == ("2026-11-01", "2026-11-30")
    assert statement["filename"] == f"statement-{customer_id}-2026-11-30.pdf"
    content = await service.content(statement)
    assert len(content) == statement["size"]
    text = _text(content)
    for expected in (
        "Statement of account",
        "Ромашка & Co <b>",  # printed as typed
        "INV-2026-000007",
        "1,234.50",
        "334.50",
        "TRF-991",
        "Open items on 2026-11-30",
        "500 JPY",  # the credit, in yen's minor unit
        "Balance due (EUR)",
        "In your favour (JPY)",
    ):
        assert expected in text, expected

    listed = await service.client.get("/statements", params={"customer_id": customer_id})
    assert [item["id"] for item in listed.json()["items"]] == [payload.statement_id]
    unknown = await service.client.get(f"/statements/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"

    async def announced() -> list[tuple[bytes, CloudEvent[Any]]] | None:
        found = await service.events(EventType.STATEMENT_DOCUMENT_GENERATED)
        return found or None

    [(key, generated)] = await eventually(announced, within=20)  # the redelivery: nothing
    assert key == customer_id.encode()
    assert generated.causationid == event.id
    assert generated.data.sha256 == statement["sha256"]
    assert generated.data.download_path == f"/statements/{payload.statement_id}/content"

    [letter] = await dlq.read_dead_letters(service.kafka, service.kafka.topic("billing.events.dlq"))
    assert "not a UUID" in letter.error


def _einvoice(issued: InvoiceIssued, xml: str, number: str | None = None) -> CloudEvent[Any]:
    payload = EInvoicePrepared(
        invoice_id=issued.invoice_id,
        invoice_number=number or issued.number,
        order_id=issued.order_id,
        document_type="380",
        currency=issued.currency,
        net_total=issued.totals.net,
        tax_total=issued.totals.tax,
        gross_total=issued.totals.gross,
        profile="urn:cen.eu:en16931:2017",
        xml=xml,
    )
    return new_event(
        EventType.EINVOICE_PREPARED, payload, source="/billing", subject=issued.order_id
    )


async def test_an_invoice_pdf_becomes_a_factur_x_pdf_a3(service: Any, invoice_builder) -> None:
    order_id = str(uuid.uuid4())
    issued = invoice_builder(order_id, "INV-2026-000031", "SO-2026-000031", line_count=3)
    totals = issued.totals
    xml = CII.format(number=issued.number, net=totals.net, tax=totals.tax, gross=totals.gross)
    invalid_xml = xml.replace("<ram:TypeCode>380</ram:TypeCode>", "<ram:Nonsense/>")
    events = [
        new_event(EventType.INVOICE_ISSUED, issued, source="/billing", subject=order_id),
        _einvoice(issued, invalid_xml),
        _einvoice(issued, xml, number="INV-2026-999999"),  # never printed
        _einvoice(issued, xml),
    ]
    for event in events:
        await service.publish("billing.events", event, key=order_id)

    async def einvoice() -> dict[str, Any] | None:
        found = await service.documents(order_id=order_id, kind="einvoice")
        return found[0] if found else None

    document = await eventually(einvoice, within=60)
    assert document["reference"] == issued.number
    assert document["filename"] == f"{issued.number}-factur-x.pdf"
    content = await service.content(document)

    # The library's own check: the embedded XML is found and valid against the schema.
    filename, embedded = facturx.get_facturx_xml_from_pdf(content, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == xml.encode()
    root = etree.fromstring(embedded)

    def amount(name: str) -> Decimal:
        [value] = root.xpath(f"//*[local-name()='{name}']/text()")
        return Decimal(value)

    assert amount("GrandTotalAmount") == totals.gross
    assert amount("TaxTotalAmount") == totals.tax
    assert amount("TaxBasisTotalAmount") == totals.net
    # PDF/A-3: the XMP metadata names the part and the Factur-X profile.
    metadata = PdfReader(io.BytesIO(content)).xmp_metadata
    assert metadata is not None
    xmp = metadata.rdf_root.toxml()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp, xmp
    assert "EN 16931" in xmp
    assert issued.number in _text(content)  # still the printed invoice

    [(key, generated)] = await eventually(
        lambda: service.events(EventType.EINVOICE_GENERATED), within=20
    )
    assert key == order_id.encode()
    assert generated.data.reference == issued.number
    assert generated.data.invoice_id == issued.invoice_id
    assert generated.data.sha256 == document["sha256"]

    letters = await dlq.read_dead_letters(service.kafka, service.kafka.topic("billing.events.dlq"))
    errors = [letter.error for letter in letters]
    assert len(errors) == 2
    assert "not valid Factur-X" in errors[0]
    assert "no invoice PDF of INV-2026-999999" in errors[1]


async def test_salespeople_read_the_statements_of_their_customers(start_service) -> None:
    visibility = {"sales": "own", "sales_manager": "team"}
    async with start_service(visibility=visibility) as service:
        mine = _statement(f"cust-{uuid.uuid4()}").model_copy(
            update={"owner": "alice", "team": "north"}
        )
        theirs = _statement(f"cust-{uuid.uuid4()}").model_copy(
            update={"owner": "carol", "team": "south"}
        )
        for payload in (mine, theirs):
            await service.publish("billing.events", _prepared(payload), key=payload.customer_id)

        async def both() -> list[dict[str, Any]] | None:
            items = (await service.client.get("/statements")).json()["items"]
            return items if len(items) == 2 else None

        await eventually(both, within=40)
        alice = bearer("sales", subject="alice", team="north")
        listed = await service.client.get("/statements", headers=alice)
        assert [item["id"] for item in listed.json()["items"]] == [mine.statement_id]
        hidden = await service.client.get(f"/statements/{theirs.statement_id}", headers=alice)
        assert hidden.status_code == 404
        content = f"/statements/{theirs.statement_id}/content"
        assert (await service.client.get(content, headers=alice)).status_code == 404
        manager = bearer("sales", "sales_manager", subject="mia", team="south")
        listed = await service.client.get("/statements", headers=manager)
        assert [item["id"] for item in listed.json()["items"]] == [theirs.statement_id]


async def test_the_statements_export_shows_only_the_callers_customers(start_service) -> None:
    async with start_service(visibility={"sales": "own"}) as service:
        mine, also, theirs = (
            _statement(f"cust-{uuid.uuid4()}").model_copy(update={"owner": owner, "team": "n"})
            for owner in ("alice", "alice", "carol")
        )
        for payload in (mine, also, theirs):
            await service.publish("billing.events", _prepared(payload), key=payload.customer_id)

        async def rows(headers: dict[str, str], **params: str) -> list[dict[str, str]]:
            response = await service.client.get(
                "/exports/statements.csv", params=params, headers=headers
            )
            assert response.status_code == 200, response.text
            disposition = 'attachment; filename="statements.csv"'
            assert response.headers["content-disposition"] == disposition
            reader = csv.DictReader(io.StringIO(response.text))
            assert tuple(reader.fieldnames or ()) == STATEMENT_COLUMNS
            return list(reader)

        async def three() -> list[dict[str, str]] | None:
            found = await rows({})
            return found if len(found) == 3 else None

        everyone = await eventually(three, within=40)
        alice = bearer("sales", subject="alice", team="n")
        hers = await rows(alice)
        assert sorted(r["id"] for r in hers) == sorted([mine.statement_id, also.statement_id])
        [row] = await rows(alice, customer_id=mine.customer_id)
        listed = (await service.client.get(f"/statements/{mine.statement_id}")).json()
        assert {k: row[k] for k in ("customer_id", "from", "to", "sha256", "download_path")} == {
            k: str(listed[k]) for k in ("customer_id", "from", "to", "sha256", "download_path")
        }
        assert await rows(alice, customer_id=theirs.customer_id) == []
        assert len(everyone) == 3
        refused = await service.client.get("/exports/statements.csv", headers=bearer())
        assert refused.status_code == 403
