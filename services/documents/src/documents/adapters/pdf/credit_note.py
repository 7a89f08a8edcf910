"""The credit note: its number, issue date, the invoice it credits and the order; "bill to";
the reason above the lines; and instead of a request to pay, how its amount was settled (taken
off what the invoice owed, the rest kept as the customer's credit)."""

from __future__ import annotations

from reportlab.platypus import Flowable

from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.text import Paragraph, format_amount, markup
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class CreditNoteLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        facts = [
            (labels.credit_note_no, doc.number),
            (labels.issue_date, doc.document_date.isoformat()),
        ]
        if doc.credited:
            facts.append((labels.credited_invoice_no, doc.credited.invoice_number))
        if doc.order_number:
            facts.append((labels.order_no, doc.order_number))
        return facts

    def default_opening(self, labels: Labels) -> str:
        return labels.opening_credit_note

    def party_label(self, labels: Labels) -> str:
        return labels.bill_to

    def payment(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        credited = doc.credited
        if credited is None:
            return []
        notes: list[Flowable] = []
        if credited.deducted > 0:
            amount = format_amount(credited.deducted, doc.currency)
            text = labels.credit_deducted.format(
                amount=amount, currency=doc.currency, number=credited.invoice_number
            )
            notes.append(Paragraph(markup(text), styles.base))
        if credited.kept_as_credit > 0:
            amount = format_amount(credited.kept_as_credit, doc.currency)
            text = labels.credit_kept.format(amount=amount, currency=doc.currency)
            notes.append(Paragraph(markup(text), styles.base))
        return notes
