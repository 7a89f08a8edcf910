"""The order confirmation: the order's number and date, and its delivery dates if any."""

from __future__ import annotations

from documents.adapters.pdf.kind import KindLayout
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument


class OrderConfirmationLayout(KindLayout):
    def facts(self, doc: PrintableDocument, labels: Labels) -> list[tuple[str, str]]:
        dates = [
            (labels.requested_delivery, doc.requested_delivery_date),
            (labels.promised_delivery, doc.promised_delivery_date),
        ]
        return [
            (labels.order_no, doc.number),
            (labels.order_date, doc.document_date.isoformat()),
            *((label, day.isoformat()) for label, day in dates if day is not None),
        ]

    def default_opening(self, labels: Labels) -> str:
        return labels.opening_order_confirmation
