"""Electronic invoices in EN 16931 form: the Factur-X / ZUGFeRD CII XML (profile EN 16931),
built and checked against the profile's XML schema by `drafthorse`."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from billing.domain.company import Company
from billing.domain.credit_notes import CreditNote
from billing.domain.model import Address, Invoice, InvoiceLine, plain

PROFILE = "FACTUR-X_EN16931"
GUIDELINE = "urn:cen.eu:en16931:2017"
COMMERCIAL_INVOICE = "380"  # UNTDID 1001
CREDIT_NOTE = "381"
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461
UNIT = "C62"  # UN/ECE Rec 20: one (unit)


class NotInvoiceable(Exception):
    """The invoice lacks what EN 16931 requires (e.g. the buyer's address)."""


def _category(rate: Decimal) -> str:
    """UNTDID 5305: S standard rate, Z zero rated."""
    return "S" if rate > 0 else "Z"


def _address(target: object, address: Address) -> None:
    target.line_one = address.line1  # type: ignore[attr-defined]
    if address.line2:
        target.line_two = address.line2  # type: ignore[attr-defined]
    target.postcode = address.postal_code  # type: ignore[attr-defined]
    target.city_name = address.city  # type: ignore[attr-defined]
    target.country_id = address.country  # type: ignore[attr-defined]


def _line(line: InvoiceLine) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.line_no)
    item.product.seller_assigned_id = line.sku
    item.product.name = line.description or line.sku
    net_price = line.unit_price * (100 - line.discount_percent) / 100
    if line.discount_percent:
        item.agreement.gross.amount = line.unit_price
    item.agreement.net.amount = plain(net_price)  # no exponent: 80, not 8E+1
    item.delivery.billed_quantity = (line.quantity, UNIT)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = _category(line.tax_rate)
    item.settlement.trade_tax.rate_applicable_percent = line.tax_rate
    item.settlement.monetary_summation.total_amount = line.net_amount
    return item


def cii_xml(
    invoice: Invoice,
    company: Company,
    *,
    type_code: str = COMMERCIAL_INVOICE,
    referenced: Invoice | None = None,
) -> bytes:
    """The invoice as Factur-X CII XML (EN 16931 profile), validated against its XSD
    (`drafthorse` raises when it does not conform). Raises `NotInvoiceable` without a buyer
    address. A credit note is `type_code` 381 naming the invoice it credits (`referenced`)."""
    buyer_address = invoice.billing_address or invoice.shipping_address
    if buyer_address is None:
        raise NotInvoiceable(f"invoice {invoice.number} has no billing address (EN 16931 BT-55)")
    currency = invoice.currency
    doc = Document()
    doc.context.guideline_parameter.id = GUIDELINE
    doc.header.id = invoice.number
    doc.header.type_code = type_code
    doc.header.issue_date_time = invoice.issue_date
    for text in (invoice.opening_text, invoice.closing_text):
        if text:
            doc.header.notes.add(IncludedNote(content=text))

    agreement = doc.trade.agreement
    agreement.buyer_reference = invoice.customer_reference or invoice.customer.id
    agreement.seller.name = company.legal_name
    _address(
        agreement.seller.address,
        Address(
            line1=company.line1,
            postal_code=company.postal_code,
            city=company.city,
            country=company.country,
        ),
    )
    agreement.seller.tax_registrations.add(TaxRegistration(id=("VA", company.vat_id)))
    agreement.buyer.name = buyer_address.name or invoice.customer.name
    _address(agreement.buyer.address, buyer_address)
    agreement.buyer_order.issuer_assigned_id = invoice.order_number

    settlement = doc.trade.settlement
    settlement.currency_code = currency
    settlement.payment_reference = invoice.number
    if referenced is not None:  # BT-25, BT-26: the preceding invoice
        settlement.invoice_referenced_document.issuer_assigned_id = referenced.number
        settlement.invoice_referenced_document.issue_date_time = referenced.issue_date
    means = PaymentMeans()
    means.type_code = SEPA_CREDIT_TRANSFER
    means.payee_account.iban = company.iban
    if company.bic:
        means.payee_institution.bic = company.bic
    settlement.payment_means.add(means)
    settlement.terms.add(
        PaymentTerms(
            description=invoice.payment_terms.text or f"Net {invoice.payment_terms.days} days",
            due=invoice.due_date,
        )
    )
    for tax in invoice.totals.taxes:
        trade_tax = ApplicableTradeTax()
        trade_tax.calculated_amount = tax.amount
        trade_tax.basis_amount = tax.base
        trade_tax.type_code = "VAT"
        trade_tax.category_code = _category(tax.rate)
        trade_tax.rate_applicable_percent = tax.rate
        settlement.trade_tax.add(trade_tax)
    for line in invoice.lines:
        doc.trade.items.add(_line(line))
    totals = settlement.monetary_summation
    totals.line_total = invoice.totals.net
    totals.charge_total = Decimal("0.00")
    totals.allowance_total = Decimal("0.00")
    totals.tax_basis_total = invoice.totals.net
    totals.tax_total = (invoice.totals.tax, currency)
    totals.grand_total = invoice.totals.gross
    totals.prepaid_total = invoice.paid_total
    totals.due_amount = invoice.balance
    xml: bytes = doc.serialize(schema=PROFILE)
    return xml


def credit_note_xml(note: CreditNote, invoice: Invoice, company: Company) -> bytes:
    """The credit note as Factur-X CII XML (type 381, EN 16931): its lines and totals, the
    credited invoice's parties and terms, and a reference to that invoice."""
    as_document = replace(
        invoice,
        id=note.id,
        number=note.number,
        issue_date=note.issue_date,
        due_date=max(note.issue_date, invoice.due_date),
        lines=list(note.lines),
        totals=note.totals,
        billing_address=note.billing_address or invoice.billing_address,
        opening_text=note.reason,
        closing_text=None,
        paid_total=Decimal("0"),
        credited_total=Decimal("0"),
        credit_applied=Decimal("0"),
        payments=[],
    )
    return cii_xml(as_document, company, type_code=CREDIT_NOTE, referenced=invoice)
