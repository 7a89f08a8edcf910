"""The order confirmation: the order's number and date."""

from __future__ import annotations

from documents.adapters.pdf.kind import KindLayout
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class OrderConfirmationLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        return [
            (labels.order_no, doc.number),
            (labels.order_date, doc.document_date.isoformat()),
        ]

    def default_opening(self, labels: Labels) -> str:
        return labels.opening_order_confirmation
