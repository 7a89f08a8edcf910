"""One render: the page template, the story (the flowables top to bottom) and the page
decorations of one document, in the look of its template and the parts its kind decides."""

from __future__ import annotations

import functools
import io
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table

from documents.adapters.pdf.canvas import NumberedCanvas
from documents.adapters.pdf.credit_note import CreditNoteLayout
from documents.adapters.pdf.delivery_note import DeliveryNoteLayout
from documents.adapters.pdf.invoice import InvoiceLayout
from documents.adapters.pdf.kind import KindLayout
from documents.adapters.pdf.letterhead import (
    Letterhead,
    company_block,
    footer_left,
    footer_lines,
    letterhead_image,
)
from documents.adapters.pdf.order_confirmation import OrderConfirmationLayout
from documents.adapters.pdf.purchase_order import PurchaseOrderLayout
from documents.adapters.pdf.quotation import QuotationLayout
from documents.adapters.pdf.styles import GREY, styles_for
from documents.adapters.pdf.tables import facts_table, right_column, two_columns
from documents.adapters.pdf.text import Paragraph, markup
from documents.domain.model import DocumentKind, PostalAddress, PrintableDocument

FRAME_PADDING = 6
MARGIN = 18 * mm

KINDS: dict[DocumentKind, KindLayout] = {
    DocumentKind.ORDER_CONFIRMATION: OrderConfirmationLayout(),
    DocumentKind.INVOICE: InvoiceLayout(),
    DocumentKind.QUOTE: QuotationLayout(),
    DocumentKind.CREDIT_NOTE: CreditNoteLayout(),
    DocumentKind.PURCHASE_ORDER: PurchaseOrderLayout(),
    DocumentKind.DELIVERY_NOTE: DeliveryNoteLayout(),
}


class DocumentLayout:
    """Lays out one document on pages of `page_size` under the deployment's letterhead."""

    def __init__(
        self,
        document: PrintableDocument,
        letterhead: Letterhead,
        page_size: tuple[float, float],
        regular: str,
        bold: str,
    ) -> None:
        self.doc = document
        self.kind = KINDS[document.kind]
        self.look = document.look
        self.labels = document.labels
        self.letterhead = letterhead
        if self.look is not None:
            self.letterhead = self.letterhead.overridden(self.look.company)
        self.page_size = page_size
        self.regular = regular
        self.width = self.page_size[0] - 2 * MARGIN
        self.styles = styles_for(regular, bold, self.look)

    def build(self) -> bytes:
        doc = self.doc
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=self.page_size,
            # platypus frames pad their content by 6 points: the text starts at the margin
            leftMargin=MARGIN - FRAME_PADDING,
            rightMargin=MARGIN - FRAME_PADDING,
            topMargin=16 * mm,
            bottomMargin=22 * mm,
            title=f"{doc.title} {doc.number}",
            author=self.letterhead.name,
            subject=f"{doc.title} {doc.number} for {doc.customer.name}",
            creator="Sales order suite: documents service",
            initialFontName=self.regular,
            invariant=1,
        )
        canvasmaker = functools.partial(
            NumberedCanvas,
            footer_left=footer_left(self.letterhead, self.labels),
            footer_right=f"{doc.title} {doc.number}",
            font=self.regular,
            page_label=self.labels.page_of,
            footer_text=footer_lines(
                self.look.footer_text if self.look else None, self.regular, self.width
            ),
        )
        template.build(
            self.story(),
            onFirstPage=lambda canvas, _: None,
            onLaterPages=self._continuation_header,
            canvasmaker=canvasmaker,
        )
        return buffer.getvalue()

    def story(self) -> list[Flowable]:
        doc, styles = self.doc, self.styles
        story: list[Flowable] = []
        if self.look is not None and self.look.letterhead is not None:
            story += [letterhead_image(self.look.letterhead, self.width), Spacer(1, 4 * mm)]
        story += [self._head(), Spacer(1, 8 * mm), self._parties()]
        story.append(Spacer(1, 6 * mm))
        for text in (doc.description, doc.opening or self.kind.default_opening(self.labels)):
            if text:
                story += [Paragraph(markup(text), styles.base), Spacer(1, 3 * mm)]
        story += [
            Spacer(1, 2 * mm),
            *self.kind.lines(doc, self.labels, styles, self.width),
            Spacer(1, 4 * mm),
        ]
        story += self.kind.totals(doc, self.labels, styles)
        payment = self._payment()
        if payment:
            story += [Spacer(1, 6 * mm), *payment]
        if doc.closing:
            story += [Spacer(1, 4 * mm), Paragraph(markup(doc.closing), styles.base)]
        return story

    def _head(self) -> Table:
        """The company block on the left; the title and the document's facts on the right."""
        doc, labels = self.doc, self.labels
        facts = self.kind.facts(doc, labels)
        if doc.customer_reference:
            facts.append((labels.your_reference, doc.customer_reference))
        facts.append((labels.currency, doc.currency))
        title: list[Flowable] = [
            Paragraph(markup(doc.title), self.styles.title),
            Spacer(1, 2 * mm),
            facts_table(facts, self.styles, right_column(self.width)),
        ]
        company = company_block(self.letterhead, labels, self.styles)
        return two_columns(company, title, self.width, self.styles)

    def _parties(self) -> Table:
        customer, labels, styles = self.doc.customer, self.labels, self.styles
        bill: list[Flowable] = [
            Paragraph(markup(self.kind.party_label(labels)), styles.heading),
            Paragraph(markup(customer.name), styles.strong),
        ]
        if customer.contact:
            bill.append(Paragraph(markup(f"{labels.attention} {customer.contact}"), styles.base))
        if customer.billing_address:
            bill.append(self._address(customer.billing_address, skip_name=customer.name))
        if customer.email:
            bill.append(Paragraph(markup(customer.email), styles.small_grey))
        ship: list[Flowable] = []
        if customer.shipping_address:
            ship = [
                Paragraph(markup(labels.ship_to), styles.heading),
                self._address(customer.shipping_address, skip_name=None),
            ]
        return two_columns(bill, ship, self.width, styles)

    def _address(self, address: PostalAddress, *, skip_name: str | None) -> Paragraph:
        lines = address.lines()
        if skip_name and address.name == skip_name:
            lines = lines[1:]
        return Paragraph(markup("\n".join(lines)), self.styles.base)

    def _payment(self) -> list[Flowable]:
        return self.kind.payment(self.doc, self.labels, self.letterhead, self.styles)

    def _continuation_header(self, canvas: Any, _: Any) -> None:
        width, height = self.page_size
        canvas.saveState()
        canvas.setFont(self.regular, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, height - 10 * mm, self.letterhead.name)
        canvas.drawRightString(
            width - MARGIN, height - 10 * mm, f"{self.doc.title} {self.doc.number}"
        )
        canvas.restoreState()
