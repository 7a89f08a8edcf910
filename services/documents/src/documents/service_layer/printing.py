"""From event payloads (the public contracts) to what a document prints (the domain).

`look` is the template the document is printed in (None: the built-in look); `template_id` the
template the order or quote asked for, recorded with the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from contracts.common import Address, CustomerRef, OrderLine, OrderSnapshot, Totals
from contracts.common import PaymentTerms as PaymentTermsPayload
from contracts.events import CreditNoteIssued, InvoiceIssued, InvoiceLine, OrderRevised, QuoteSent
from documents.domain.labels import labels_for
from documents.domain.model import (
    Credited,
    Customer,
    DocumentKind,
    PaymentTerms,
    PostalAddress,
    PrintableDocument,
    PrintLine,
    PrintTotals,
    TaxAmount,
)
from documents.domain.templates import Look
from servicekit.mapping import copied, copied_or_none


def order_confirmation(order: OrderSnapshot, look: Look | None = None) -> PrintableDocument:
    """The confirmation of an order, from the snapshot in `suite.order.confirmed.v1`."""
    return _of_order(
        order,
        look,
        kind=DocumentKind.ORDER_CONFIRMATION,
        number=order.number,
        subject_id=order.order_id,
    )


def revised_order_confirmation(
    revised: OrderRevised, look: Look | None = None
) -> PrintableDocument:
    """The confirmation of a revised order, from `suite.order.revised.v1`: a document of its
    own (`SO-2026-000042-R2`), so the earlier confirmations are kept."""
    order = revised.order
    return _of_order(
        order,
        look,
        kind=DocumentKind.ORDER_CONFIRMATION,
        number=revision_reference(order.number, revised.revision),
        subject_id=order.order_id,
    )


def revision_reference(number: str, revision: int) -> str:
    return f"{number}-R{revision}"


def quotation(sent: QuoteSent, look: Look | None = None) -> PrintableDocument:
    """The quotation, from `suite.quote.sent.v1` (its content is order-shaped)."""
    return _of_order(
        sent.content,
        look,
        kind=DocumentKind.QUOTE,
        number=sent.number,
        subject_id=sent.quote_id,
        valid_until=sent.valid_until,
    )


def _of_order(
    content: OrderSnapshot,
    look: Look | None,
    *,
    kind: DocumentKind,
    number: str,
    subject_id: str,
    valid_until: date | None = None,
) -> PrintableDocument:
    """What an order's (or a quote's order-shaped) content prints as a document of `kind`."""
    return PrintableDocument(
        kind=kind,
        number=number,
        subject_id=subject_id,
        currency=content.currency,
        customer=_customer(
            content.customer, content.contact, content.billing_address, content.shipping_address
        ),
        document_date=content.order_date,
        valid_until=valid_until,
        payment_terms=_terms(content.payment_terms),
        lines=_lines(content.lines),
        totals=_totals(content.totals),
        customer_reference=content.customer_reference,
        description=content.description,
        opening_text=content.opening_text,
        closing_text=content.closing_text,
        template_id=content.template_id,
        look=look,
        requested_delivery_date=content.requested_delivery_date,
        promised_delivery_date=content.promised_delivery_date,
        line_promises=tuple(
            (line.line_no, line.promised_delivery_date)
            for line in content.lines
            if line.promised_delivery_date is not None
        ),
    )


def invoice(
    issued: InvoiceIssued, look: Look | None = None, *, template_id: str | None = None
) -> PrintableDocument:
    """The invoice, from `suite.invoice.issued.v1`, in the template of its order (if any)."""
    return PrintableDocument(
        kind=DocumentKind.INVOICE,
        number=issued.number,
        subject_id=issued.order_id,
        currency=issued.currency,
        customer=_customer(issued.customer, None, issued.billing_address, issued.shipping_address),
        document_date=issued.issue_date,
        due_date=issued.due_date,
        order_number=issued.order_number,
        payment_terms=_terms(issued.payment_terms),
        lines=_lines(issued.lines),
        totals=_totals(issued.totals),
        customer_reference=issued.customer_reference,
        opening_text=issued.opening_text,
        closing_text=issued.closing_text,
        template_id=template_id,
        look=look,
    )


def credit_note(
    issued: CreditNoteIssued, look: Look | None = None, *, template_id: str | None = None
) -> PrintableDocument:
    """The credit note, from `suite.credit_note.issued.v1`, in the template of its order (if
    any): its reason above the lines, how it was settled under them."""
    labels = labels_for(look.language if look else None)
    return PrintableDocument(
        kind=DocumentKind.CREDIT_NOTE,
        number=issued.number,
        subject_id=issued.order_id,
        currency=issued.currency,
        customer=_customer(issued.customer, None, issued.billing_address, None),
        document_date=issued.issue_date,
        order_number=issued.order_number,
        payment_terms=PaymentTerms(days=0),
        lines=_lines(issued.lines),
        totals=_totals(issued.totals),
        description=labels.reason.format(reason=issued.reason),
        template_id=template_id,
        look=look,
        credited=Credited(
            invoice_number=issued.invoice_number,
            reason=issued.reason,
            deducted=issued.applied_amount,
            kept_as_credit=issued.customer_credit,
        ),
    )


def _customer(
    customer: CustomerRef,
    contact: str | None,
    billing: Address | None,
    shipping: Address | None,
) -> Customer:
    return Customer(
        name=customer.name,
        email=customer.email,
        contact=contact,
        billing_address=copied_or_none(PostalAddress, billing),
        shipping_address=copied_or_none(PostalAddress, shipping),
    )


def _terms(terms: PaymentTermsPayload) -> PaymentTerms:
    return copied(PaymentTerms, terms)


def _lines(lines: Iterable[OrderLine | InvoiceLine]) -> tuple[PrintLine, ...]:
    return tuple(copied(PrintLine, line) for line in sorted(lines, key=lambda line: line.line_no))


def _totals(totals: Totals) -> PrintTotals:
    return PrintTotals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=tuple(copied(TaxAmount, tax) for tax in totals.taxes),
    )
