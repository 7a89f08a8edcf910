"""Electronic invoices: Factur-X CII XML valid against the EN 16931 schema, totals as invoiced;
the company's VAT id and IBAN are checked when the settings are read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from billing_fakes import FakeUnitOfWork
from drafthorse.utils import validate_xml
from lxml import etree
from pydantic import ValidationError

from billing.adapters.einvoice import PROFILE, NotInvoiceable, cii_xml
from billing.config import BillingSettings
from billing.domain.company import Company
from billing.domain.invoicing_policy import InvoicingPolicy
from billing.domain.model import Invoice
from billing.service_layer import order_invoicing

COMPANY = Company(
    legal_name="Suite Supplies S.L.",
    vat_id="ESB58378431",
    line1="Gran Via 1",
    postal_code="28013",
    city="Madrid",
    country="ES",
    iban="ES9121000418450200051332",
    bic="CAIXESBBXXX",
)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


async def an_invoice(make_order: Any, completed_event: Any, **overrides: Any) -> Invoice:
    order = make_order(
        [
            ("BOLT", "10", "2.50", "0", "21"),
            ("NUT", "3", "1.99", "5", "10"),
            ("X", "1", "5", "0", "0"),
        ],
        **overrides,
    )
    invoice = await order_invoicing.order_completed(
        FakeUnitOfWork(),
        completed_event(order),
        order,
        today=date(2025, 3, 10),
        default_policy=InvoicingPolicy.ON_COMPLETION,
    )
    assert invoice is not None
    return invoice


def amount(root: Any, path: str) -> D:
    [found] = root.xpath(path, namespaces=NS)
    return D(found.text)


async def test_the_cii_xml_is_valid_en16931_and_carries_the_invoice_totals(
    make_order: Any, completed_event: Any
) -> None:
    invoice = await an_invoice(make_order, completed_event)
    xml = cii_xml(invoice, COMPANY)
    validate_xml(xml, PROFILE)  # the library's own schema check (raises when invalid)
    root = etree.fromstring(xml)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(root, f"{summation}/ram:GrandTotalAmount") == invoice.totals.gross
    assert amount(root, f"{summation}/ram:TaxBasisTotalAmount") == invoice.totals.net
    assert amount(root, f"{summation}/ram:TaxTotalAmount") == invoice.totals.tax
    assert amount(root, f"{summation}/ram:DuePayableAmount") == invoice.balance
    lines = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert len(lines) == len(invoice.lines) == 3
    line_totals = root.xpath(
        "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()",
        namespaces=NS,
    )
    assert sum(D(v) for v in line_totals) == invoice.totals.net
    taxes = root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
    )
    assert len(taxes) == len(invoice.totals.taxes) == 3
    assert root.xpath("//rsm:ExchangedDocument/ram:ID/text()", namespaces=NS) == [invoice.number]
    assert root.xpath(
        "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()", namespaces=NS
    ) == ["ESB58378431"]
    assert root.xpath("//ram:IBANID/text()", namespaces=NS) == [COMPANY.iban]


async def test_an_invoice_without_a_buyer_address_cannot_be_an_einvoice(
    make_order: Any, completed_event: Any
) -> None:
    invoice = await an_invoice(make_order, completed_event, billing_address=None)
    with pytest.raises(NotInvoiceable, match="BT-55"):
        cii_xml(invoice, COMPANY)


def test_the_company_vat_id_and_iban_are_checked() -> None:
    good = {
        "company_legal_name": "Suite Supplies S.L.",
        "company_vat_id": "ES B58378431",
        "company_address_line1": "Gran Via 1",
        "company_postal_code": "28013",
        "company_city": "Madrid",
        "company_country": "ES",
        "company_iban": "ES91 2100 0418 4502 0005 1332",
    }
    company = BillingSettings(**good).company  # type: ignore[arg-type]
    assert company is not None
    assert (company.vat_id, company.iban) == ("ESB58378431", "ES9121000418450200051332")
    assert BillingSettings().company is None
    for field, bad in (
        ("company_vat_id", "ESB58378432"),
        ("company_iban", "ES9121000418450200051333"),
    ):
        with pytest.raises(ValidationError, match=field):
            BillingSettings(**{**good, field: bad})  # type: ignore[arg-type]
