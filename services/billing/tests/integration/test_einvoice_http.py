"""An invoice's e-invoice over HTTP: valid Factur-X CII XML, or 409 without company data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from billing_harness import Billing, invoices, post
from drafthorse.utils import validate_xml
from lxml import etree

from billing.adapters.einvoice import PROFILE
from billing.bootstrap import build_spec
from billing.config import BillingSettings
from billing.entrypoints.cli import MIGRATIONS_DIR
from contracts import EventType
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, service_with_input, settings_for_test

COMPANY = {
    "company_legal_name": "Suite Supplies S.L.",
    "company_vat_id": "ESB58378431",
    "company_address_line1": "Gran Via 1",
    "company_postal_code": "28013",
    "company_city": "Madrid",
    "company_country": "ES",
    "company_iban": "ES9121000418450200051332",
}


@pytest.fixture
async def billing_with_company(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[Billing]:
    settings = await settings_for_test(BillingSettings, databases, kafka, "billing")
    spec = build_spec(BillingSettings.model_validate({**settings.model_dump(), **COMPANY}))
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield Billing(runtime, client, kafka, producer)


async def test_an_invoice_as_a_valid_factur_x_xml(
    billing_with_company: Billing, make_order: Any
) -> None:
    billing = billing_with_company
    [invoice] = await invoices(billing, make_order, 14)
    response = await billing.client.get(f"/invoices/{invoice['id']}/einvoice.xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    validate_xml(response.content, PROFILE)
    root = etree.fromstring(response.content)
    [grand] = root.xpath("//*[local-name()='GrandTotalAmount']/text()")
    assert Decimal(grand) == Decimal(invoice["totals"]["gross"])
    missing = await billing.client.get("/invoices/no-such-invoice/einvoice.xml")
    assert missing.status_code == 404


async def test_without_company_data_there_is_no_einvoice(billing: Billing, make_order: Any) -> None:
    [invoice] = await invoices(billing, make_order, 14)
    response = await billing.client.get(f"/invoices/{invoice['id']}/einvoice.xml")
    assert response.status_code == 409
    assert "BILLING_COMPANY_" in response.json()["detail"]


async def test_an_einvoice_request_carries_valid_cii_xml(
    billing_with_company: Billing,
    make_order: Any,
) -> None:
    billing = billing_with_company
    [invoice] = await invoices(billing, make_order, 14)
    key = str(uuid.uuid4())
    response = await post(billing, f"/invoices/{invoice['id']}/einvoice", {}, key=key)
    assert response.status_code == 202, response.text
    assert response.json()["document_type"] == "380"
    again = await post(billing, f"/invoices/{invoice['id']}/einvoice", {}, key=key)
    assert again.json() == response.json()  # the same key: the first answer, no second event

    [(event_key, event)] = await billing.published(EventType.EINVOICE_PREPARED)
    assert event_key == invoice["order_id"].encode()
    data = event["data"]
    assert (data["invoice_number"], data["order_id"]) == (invoice["number"], invoice["order_id"])
    assert data["gross_total"] == invoice["totals"]["gross"]
    xml = data["xml"].encode()
    validate_xml(xml, PROFILE)
    [grand] = etree.fromstring(xml).xpath("//*[local-name()='GrandTotalAmount']/text()")
    assert Decimal(grand) == Decimal(invoice["totals"]["gross"])

    missing = await post(billing, "/invoices/no-such-invoice/einvoice", {})
    assert missing.status_code == 404


async def test_no_einvoice_request_without_company_data(billing: Billing, make_order: Any) -> None:
    [invoice] = await invoices(billing, make_order, 14)
    response = await post(billing, f"/invoices/{invoice['id']}/einvoice", {})
    assert response.status_code == 409
    assert "BILLING_COMPANY_" in response.json()["detail"]
    assert await billing.published(EventType.EINVOICE_PREPARED) == []


async def test_a_credit_note_request_carries_valid_cii_xml_of_type_381(
    billing_with_company: Billing, make_order: Any
) -> None:
    billing = billing_with_company
    [invoice] = await invoices(billing, make_order, 14)
    credited = await post(
        billing,
        f"/invoices/{invoice['id']}/credit-notes",
        {"reason": "damaged", "lines": [{"line_no": 1, "quantity": "1"}]},
    )
    assert credited.status_code == 201, credited.text
    note = credited.json()
    response = await post(billing, f"/credit-notes/{note['id']}/einvoice", {})
    assert response.status_code == 202, response.text
    assert (response.json()["document_type"], response.json()["invoice_number"]) == (
        "381",
        note["number"],
    )
    [(key, event)] = await billing.published(EventType.EINVOICE_PREPARED)
    assert key == invoice["order_id"].encode()
    data = event["data"]
    assert (data["invoice_id"], data["document_type"]) == (note["id"], "381")
    assert data["gross_total"] == note["totals"]["gross"]
    xml = data["xml"].encode()
    validate_xml(xml, PROFILE)
    root = etree.fromstring(xml)

    def text(name: str) -> list[str]:
        found: list[str] = root.xpath(f"//*[local-name()='{name}']/text()")
        return found

    assert text("TypeCode")[0] == "381"
    assert text("IssuerAssignedID")[-1] == invoice["number"]  # the credited invoice
    assert Decimal(text("GrandTotalAmount")[0]) == Decimal(note["totals"]["gross"])
    unknown = await post(billing, "/credit-notes/no-such-note/einvoice", {})
    assert unknown.status_code == 404
