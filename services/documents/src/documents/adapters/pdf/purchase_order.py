"""The purchase order sent to a vendor: its number, date, expected date and the warehouse the
goods go to; the vendor in the party block; lines with quantity, unit price and net; the total
(purchase prices carry no tax here); the vendor's payment terms."""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether

from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.supply_tables import supply_lines_table, total_table
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument
from documents.domain.supply import supply_labels


class PurchaseOrderLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        words = supply_labels(labels.language)
        facts = [
            (words.purchase_order_no, doc.number),
            (words.purchase_order_date, doc.document_date.isoformat()),
        ]
        details = doc.supply
        if details is not None and details.expected_date:
            facts.append((words.expected_date, details.expected_date.isoformat()))
        if details is not None and details.warehouse:
            facts.append((words.deliver_to_warehouse, details.warehouse))
        return facts

    def default_opening(self, labels: Labels) -> str:
        return supply_labels(labels.language).opening_purchase_order

    def party_label(self, labels: Labels) -> str:
        return supply_labels(labels.language).vendor

    def lines(
        self, doc: PrintableDocument, labels: Labels, styles: Styles, width: float
    ) -> list[Flowable]:
        return [supply_lines_table(doc, labels, styles, width, prices=True)]

    def totals(self, doc: PrintableDocument, labels: Labels, styles: Styles) -> list[Flowable]:
        return [KeepTogether([total_table(doc, labels, styles)])]
