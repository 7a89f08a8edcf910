"""What differs between the kinds of document: one subclass per kind, in a module of its own
(`order_confirmation.py`, `quotation.py`, `invoice.py`, `purchase_order.py`, `delivery_note.py`).
Everything else is laid out alike."""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether

from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.tables import lines_table, totals_table
from documents.adapters.pdf.text import Paragraph, markup
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class KindLayout:
    """The parts of a document its kind decides; the defaults suit most kinds."""

    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        """The number and dates under the title (the customer's reference and the currency
        follow on every kind)."""
        raise NotImplementedError

    def default_opening(self, labels: Labels) -> str:
        """The opening text when neither the order nor the template has one."""
        raise NotImplementedError

    def party_label(self, labels: Labels) -> str:
        """The heading above the customer's name and billing address."""
        return labels.customer

    def payment(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        """The closing section: the payment terms and what follows them."""
        return [
            Paragraph(markup(labels.payment_terms), styles.heading),
            Paragraph(markup(doc.payment_terms.wording(labels)), styles.base),
            *self.payment_notes(doc, labels, letterhead, styles),
        ]

    def payment_notes(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        """What follows the payment terms."""
        return []

    def lines(
        self, doc: PrintableDocument, labels: Labels, styles: Styles, width: float
    ) -> list[Flowable]:
        """The lines table (by default: with prices, discount, tax and net amounts)."""
        return [lines_table(doc, labels, styles, width)]

    def totals(self, doc: PrintableDocument, labels: Labels, styles: Styles) -> list[Flowable]:
        """What follows the lines (by default: the totals with the tax per rate)."""
        return [KeepTogether([totals_table(doc, labels, styles)])]
