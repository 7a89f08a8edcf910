"""The quotation: its number, date and validity, repeated under the payment terms."""

from __future__ import annotations

from reportlab.platypus import Flowable

from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.text import Paragraph, markup
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class QuotationLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        facts = [
            (labels.quotation_no, doc.number),
            (labels.quotation_date, doc.document_date.isoformat()),
        ]
        if doc.valid_until:
            facts.append((labels.valid_until, doc.valid_until.isoformat()))
        return facts

    def default_opening(self, labels: Labels) -> str:
        return labels.opening_quotation

    def payment_notes(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        if not doc.valid_until:
            return []
        validity = labels.quotation_valid_until.format(date=doc.valid_until.isoformat())
        return [Paragraph(markup(validity), styles.base)]
