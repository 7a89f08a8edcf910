"""The invoice: issue and due dates, the order it bills, "bill to", and under the payment terms
the request to pay and the company's bank details."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.text import Paragraph, format_amount, markup
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class InvoiceLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        facts = [
            (labels.invoice_no, doc.number),
            (labels.issue_date, doc.document_date.isoformat()),
        ]
        if doc.due_date:
            facts.append((labels.due_date, doc.due_date.isoformat()))
        if doc.order_number:
            facts.append((labels.order_no, doc.order_number))
        return facts

    def default_opening(self, labels: Labels) -> str:
        return labels.opening_invoice

    def party_label(self, labels: Labels) -> str:
        return labels.bill_to

    def payment_notes(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        request = labels.payment_request(
            format_amount(doc.totals.gross, doc.currency), doc.currency, doc.due_date, doc.number
        )
        notes: list[Flowable] = [Paragraph(markup(request), styles.base)]
        if letterhead.bank_details:
            text = "\n".join(letterhead.bank_details)
            notes += [Spacer(1, 2 * mm), Paragraph(markup(text), styles.small)]
        return notes
