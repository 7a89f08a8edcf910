"""The delivery note (packing slip) of one shipment: the order it ships, the shipping date,
carrier and tracking number; the customer and the ship-to address; SKU, description and
quantity of each line shipped. No price, no total, no payment terms."""

from __future__ import annotations

from reportlab.platypus import Flowable

from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.supply_tables import supply_lines_table
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument
from documents.domain.supply import supply_labels


class DeliveryNoteLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        words = supply_labels(labels.language)
        facts = [(words.delivery_note_no, doc.number)]
        details = doc.supply
        if details is None:
            return facts
        if details.order_number:
            facts.append((labels.order_no, details.order_number))
        if details.shipping_date:
            facts.append((words.shipping_date, details.shipping_date.isoformat()))
        if details.warehouse:
            facts.append((words.shipped_from, details.warehouse))
        if details.carrier:
            facts.append((words.carrier, details.carrier))
        if details.tracking_number:
            facts.append((words.tracking_number, details.tracking_number))
        return facts

    def default_opening(self, labels: Labels) -> str:
        return supply_labels(labels.language).opening_delivery_note

    def lines(
        self, doc: PrintableDocument, labels: Labels, styles: Styles, width: float
    ) -> list[Flowable]:
        return [supply_lines_table(doc, labels, styles, width, prices=False)]

    def totals(self, doc: PrintableDocument, labels: Labels, styles: Styles) -> list[Flowable]:
        return []

    def payment(
        self, doc: PrintableDocument, labels: Labels, letterhead: Letterhead, styles: Styles
    ) -> list[Flowable]:
        return []
