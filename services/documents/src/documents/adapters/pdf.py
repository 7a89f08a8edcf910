"""PDF rendering of order confirmations, invoices and quotations with reportlab's platypus.

A document without a template look prints the built-in look: English labels, grey headings.
A template's look changes the language of the labels, puts its letterhead image at the top of
the first page, colours the title, the headings and the lines table's header row, adds its
footer text to every page and overrides parts of the company block.

Everything a user typed is escaped before it reaches reportlab's paragraph markup, so it prints
literally. The text font is a TrueType font embedded in the file (DejaVu Sans by default), so
accented Latin, Cyrillic, Greek and many other scripts render on any reader. Rendering is
deterministic (reportlab's invariant mode): the same document renders to the same bytes, which
makes a redelivered event a no-op and lets the checksum identify a rendition.

reportlab keeps fonts in a process-wide registry and is not documented as thread-safe, so renders
are serialized by a lock; callers run `render` in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.domain.model import (
    DocumentKind,
    PostalAddress,
    PrintableDocument,
    PrintLine,
    money,
)
from documents.domain.templates import CompanyDetails, is_dark

FONT_PACKAGE = "fonts-dejavu-core"
PAGE_SIZES = {"A4": A4, "LETTER": LETTER}

_RENDER_LOCK = threading.Lock()
_REGISTRY_LOCK = threading.Lock()

# Characters that are not allowed in XML (reportlab parses paragraphs as XML-ish markup).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
FRAME_PADDING = 6
DESCRIPTION_CHUNK = 600  # characters per table row: keeps every row far shorter than a page

GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#BBBBBB")
HEADER_FILL = colors.HexColor("#EDEDED")
LETTERHEAD_MAX_HEIGHT = 30 * mm
FOOTER_TEXT_LINES = 2


class FontUnavailable(OSError):
    """The configured font file is missing or unreadable: a deployment problem, not bad data.

    An OSError on purpose: the event consumer retries those instead of dead-lettering events.
    """


class RenderingFailed(Exception):
    """The document could not be laid out (the same input will always fail)."""


@dataclass(frozen=True)
class Letterhead:
    """The company block printed at the top and in the footer of every document."""

    name: str
    address_lines: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    vat_id: str | None = None
    bank_details: tuple[str, ...] = ()

    def overridden(self, company: CompanyDetails) -> Letterhead:
        """This block with a template's overrides applied (None keeps a value)."""
        changes: dict[str, Any] = {
            key: value
            for key, value in (
                ("name", company.name),
                ("email", company.email),
                ("phone", company.phone),
                ("website", company.website),
                ("vat_id", company.vat_id),
            )
            if value
        }
        if company.address:
            changes["address_lines"] = tuple(_text_lines(company.address))
        if company.bank_details:
            changes["bank_details"] = tuple(_text_lines(company.bank_details))
        return replace(self, **changes) if changes else self


def _text_lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


# --- text helpers -----------------------------------------------------------------------------


def markup(value: str | None) -> str:
    """User text as paragraph markup that prints literally: escaped, line breaks kept."""
    if not value:
        return ""
    cleaned = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return escape(cleaned).replace("\t", " ").replace("\n", "<br/>")


def format_amount(value: Decimal) -> str:
    """1234.5 -> '1,234.50' (rounded half up to cents)."""
    return f"{money(value):,.2f}"


def format_quantity(value: Decimal) -> str:
    """10.500 -> '10.5', 1000 -> '1,000': never in exponent notation."""
    normalized = value.normalize()
    return f"{normalized:,f}"


def format_percent(value: Decimal) -> str:
    """19.0000 -> '19', 7.5000 -> '7.5'."""
    return f"{value.normalize():f}"


def split_text(text: str, limit: int = DESCRIPTION_CHUNK) -> list[str]:
    """Split long text into pieces of at most `limit` characters, at line breaks or spaces."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            head, paragraph = paragraph[:cut], paragraph[cut:].lstrip(" ")
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{paragraph}" if current else paragraph
        if len(candidate) > limit:
            pieces.append(current)
            current = paragraph
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


# --- fonts ------------------------------------------------------------------------------------


def register_font(path: Path, setting: str) -> str:
    """Register a TrueType font file with reportlab once; returns its registered name."""
    if not path.is_file():
        raise FontUnavailable(
            f"font file {path} not found (setting {setting}): install the Debian/Ubuntu package "
            f"'{FONT_PACKAGE}' or point {setting} at a TrueType font"
        )
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    name = f"{path.stem}-{digest}"
    with _REGISTRY_LOCK:
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except Exception as exc:
                raise FontUnavailable(f"font file {path} ({setting}) is unusable: {exc}") from exc
    return name


# --- the canvas: page numbers need the page count, known only at the end ----------------------


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Defers each page until the end, then stamps the footer with 'Page N of M'."""

    def __init__(
        self,
        *args: Any,
        footer_left: str,
        footer_right: str,
        font: str,
        page_label: Callable[[int, int], str],
        footer_text: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._footer_left = footer_left
        self._footer_right = footer_right
        self._footer_font = font
        self._page_label = page_label
        self._footer_text = footer_text

    def showPage(self) -> None:  # reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        left, right, y = 18 * mm, width - 18 * mm, 12 * mm
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(left, y + 4 * mm, right, y + 4 * mm)
        self.setFont(self._footer_font, 7)
        self.setFillColor(GREY)
        self.drawString(left, y, self._footer_left)
        page = self._page_label(number, total)
        self.drawRightString(right, y, f"{self._footer_right} · {page}")
        for index, line in enumerate(self._footer_text, start=1):
            self.drawString(left, y - index * 3.2 * mm, line)
        self.restoreState()


# --- the renderer -----------------------------------------------------------------------------


class PdfRenderer:
    """Renders a PrintableDocument to PDF bytes. Safe to share; renders one at a time."""

    def __init__(
        self,
        letterhead: Letterhead,
        *,
        font_path: str | Path,
        bold_font_path: str | Path,
        page_size: str = "A4",
    ) -> None:
        self.letterhead = letterhead
        self.font_path = Path(font_path)
        self.bold_font_path = Path(bold_font_path)
        self.page_size = PAGE_SIZES[page_size]
        self._fonts: tuple[str, str] | None = None

    def check_fonts(self) -> None:
        """Load the fonts now: raises FontUnavailable naming the missing file and package."""
        self.fonts()

    def fonts(self) -> tuple[str, str]:
        if self._fonts is None:
            regular = register_font(self.font_path, "DOCUMENTS_FONT_PATH")
            bold = register_font(self.bold_font_path, "DOCUMENTS_FONT_BOLD_PATH")
            pdfmetrics.registerFontFamily(
                regular, normal=regular, bold=bold, italic=regular, boldItalic=bold
            )
            self._fonts = (regular, bold)
        return self._fonts

    def render(self, document: PrintableDocument) -> bytes:
        """The document as PDF bytes (blocking: run it in a worker thread)."""
        regular, bold = self.fonts()
        try:
            with _RENDER_LOCK:
                return _Layout(self, document, regular, bold).build()
        except Exception as exc:
            raise RenderingFailed(
                f"cannot render {document.kind.value} {document.number}: {exc}"
            ) from exc


class _Layout:
    """One render: the styles, the flowables and the page decorations of one document."""

    def __init__(
        self, renderer: PdfRenderer, document: PrintableDocument, regular: str, bold: str
    ) -> None:
        self.look = document.look
        self.labels = document.labels
        self.letterhead = renderer.letterhead
        if self.look is not None:
            self.letterhead = self.letterhead.overridden(self.look.company)
        self.page_size = renderer.page_size
        self.doc = document
        self.regular = regular
        self.bold = bold
        self.margin = 18 * mm
        self.width = self.page_size[0] - 2 * self.margin
        self.base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12)
        self.small = ParagraphStyle("small", parent=self.base, fontSize=7.5, leading=9.5)
        self.small_grey = ParagraphStyle("small_grey", parent=self.small, textColor=GREY)
        self.strong = ParagraphStyle("strong", parent=self.base, fontName=bold)
        self.company = ParagraphStyle("company", parent=self.strong, fontSize=13, leading=16)
        self.title = ParagraphStyle("title", parent=self.strong, fontSize=16, leading=20)
        primary = self.look.primary_color if self.look else None
        accent = self.look.accent_color if self.look else None
        if primary:
            self.title.textColor = colors.HexColor(primary)
        self.heading = ParagraphStyle(
            "heading",
            parent=self.strong,
            fontSize=8,
            leading=10,
            textColor=colors.HexColor(primary) if primary else GREY,
        )
        self.header_fill = colors.HexColor(accent) if accent else HEADER_FILL
        self.cell = ParagraphStyle("cell", parent=self.base, fontSize=8, leading=10)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=bold)
        if accent and is_dark(accent):
            self.head.textColor = colors.white
        self.head_right = ParagraphStyle("head_right", parent=self.head, alignment=TA_RIGHT)
        self.total_right = ParagraphStyle("total_right", parent=self.cell_right, fontName=bold)

    # --- assembly --------------------------------------------------------------------------

    def build(self) -> bytes:
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=self.page_size,
            # platypus frames pad their content by 6 points: the text starts at the margin
            leftMargin=self.margin - FRAME_PADDING,
            rightMargin=self.margin - FRAME_PADDING,
            topMargin=16 * mm,
            bottomMargin=22 * mm,
            title=f"{self.doc.title} {self.doc.number}",
            author=self.letterhead.name,
            subject=f"{self.doc.title} {self.doc.number} for {self.doc.customer.name}",
            creator="Sales order suite: documents service",
            initialFontName=self.regular,
            invariant=1,
        )
        canvasmaker = functools.partial(
            _NumberedCanvas,
            footer_left=self._footer_left(),
            footer_right=f"{self.doc.title} {self.doc.number}",
            font=self.regular,
            page_label=self.labels.page_of,
            footer_text=self._footer_text(),
        )
        template.build(
            self.story(),
            onFirstPage=lambda canvas, _: None,
            onLaterPages=self._continuation_header,
            canvasmaker=canvasmaker,
        )
        return buffer.getvalue()

    def story(self) -> list[Flowable]:
        doc = self.doc
        story: list[Flowable] = []
        if self.look is not None and self.look.letterhead is not None:
            story += [self._letterhead_image(), Spacer(1, 4 * mm)]
        story += [self._letterhead(), Spacer(1, 8 * mm), self._parties()]
        story.append(Spacer(1, 6 * mm))
        for text in (doc.description, doc.opening or self._default_opening()):
            if text:
                story += [Paragraph(markup(text), self.base), Spacer(1, 3 * mm)]
        story += [Spacer(1, 2 * mm), self._lines_table(), Spacer(1, 4 * mm)]
        story.append(KeepTogether([self._totals_table()]))
        story += [Spacer(1, 6 * mm), *self._payment()]
        if doc.closing:
            story += [Spacer(1, 4 * mm), Paragraph(markup(doc.closing), self.base)]
        return story

    def _default_opening(self) -> str:
        return {
            DocumentKind.ORDER_CONFIRMATION: self.labels.opening_order_confirmation,
            DocumentKind.INVOICE: self.labels.opening_invoice,
            DocumentKind.QUOTE: self.labels.opening_quotation,
        }[self.doc.kind]

    # --- blocks ----------------------------------------------------------------------------

    def _letterhead_image(self) -> Image:
        """The template's image at the top, scaled to fit the text width and at most 30 mm."""
        assert self.look is not None
        assert self.look.letterhead is not None
        image = self.look.letterhead
        scale = min(self.width / image.width, LETTERHEAD_MAX_HEIGHT / image.height)
        return Image(
            io.BytesIO(image.content),
            width=image.width * scale,
            height=image.height * scale,
            hAlign="LEFT",
        )

    def _letterhead(self) -> Table:
        head = self.letterhead
        company: list[Flowable] = [Paragraph(markup(head.name), self.company)]
        if head.address_lines:
            company.append(Paragraph(markup("\n".join(head.address_lines)), self.small))
        contact = [value for value in (head.phone, head.email, head.website) if value]
        if contact:
            company.append(Paragraph(markup(" · ".join(contact)), self.small))
        labels = self.labels
        if head.vat_id:
            company.append(Paragraph(markup(f"{labels.vat_id}: {head.vat_id}"), self.small))

        doc = self.doc
        facts: list[tuple[str, str]] = []
        if doc.kind is DocumentKind.INVOICE:
            facts.append((labels.invoice_no, doc.number))
            facts.append((labels.issue_date, doc.document_date.isoformat()))
            if doc.due_date:
                facts.append((labels.due_date, doc.due_date.isoformat()))
            if doc.order_number:
                facts.append((labels.order_no, doc.order_number))
        elif doc.kind is DocumentKind.QUOTE:
            facts.append((labels.quotation_no, doc.number))
            facts.append((labels.quotation_date, doc.document_date.isoformat()))
            if doc.valid_until:
                facts.append((labels.valid_until, doc.valid_until.isoformat()))
        else:
            facts.append((labels.order_no, doc.number))
            facts.append((labels.order_date, doc.document_date.isoformat()))
        if doc.customer_reference:
            facts.append((labels.your_reference, doc.customer_reference))
        facts.append((labels.currency, doc.currency))
        meta = Table(
            [
                [Paragraph(markup(label), self.small_grey), Paragraph(markup(value), self.cell)]
                for label, value in facts
            ],
            colWidths=[26 * mm, None],
        )
        meta.setStyle(TableStyle(_cells(1, self.regular)))
        title: list[Flowable] = [Paragraph(markup(doc.title), self.title), Spacer(1, 2 * mm), meta]
        table = Table([[company, title]], colWidths=[self.width * 0.55, self.width * 0.45])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_cells(0, self.regular)]))
        return table

    def _parties(self) -> Table:
        customer = self.doc.customer
        labels = self.labels
        label = labels.bill_to if self.doc.kind is DocumentKind.INVOICE else labels.customer
        bill: list[Flowable] = [
            Paragraph(markup(label), self.heading),
            Paragraph(markup(customer.name), self.strong),
        ]
        if customer.contact:
            bill.append(Paragraph(markup(f"{labels.attention} {customer.contact}"), self.base))
        if customer.billing_address:
            bill.append(self._address(customer.billing_address, skip_name=customer.name))
        if customer.email:
            bill.append(Paragraph(markup(customer.email), self.small_grey))
        ship: list[Flowable] = []
        if customer.shipping_address:
            ship = [
                Paragraph(markup(labels.ship_to), self.heading),
                self._address(customer.shipping_address, skip_name=None),
            ]
        table = Table([[bill, ship]], colWidths=[self.width * 0.55, self.width * 0.45])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_cells(0, self.regular)]))
        return table

    def _address(self, address: PostalAddress, *, skip_name: str | None) -> Paragraph:
        lines = address.lines()
        if skip_name and address.name == skip_name:
            lines = lines[1:]
        return Paragraph(markup("\n".join(lines)), self.base)

    def _lines_table(self) -> Table:
        currency = self.doc.currency
        widths = [8 * mm, 22 * mm, None, 14 * mm, 20 * mm, 14 * mm, 13 * mm, 23 * mm]
        fixed = sum(w for w in widths if w is not None)
        widths[2] = self.width - fixed
        labels = self.labels
        header = [
            Paragraph(markup(labels.column_no), self.head),
            Paragraph(markup(labels.column_sku), self.head),
            Paragraph(markup(labels.column_description), self.head),
            Paragraph(markup(labels.column_quantity), self.head_right),
            Paragraph(markup(labels.column_unit_price), self.head_right),
            Paragraph(markup(labels.column_discount), self.head_right),
            Paragraph(markup(labels.column_tax), self.head_right),
            Paragraph(markup(labels.column_net.format(currency=currency)), self.head_right),
        ]
        rows: list[list[Any]] = [header]
        commands: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), self.header_fill),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            *_cells(2.5, self.regular),
        ]
        for line in self.doc.lines:
            rows += self._line_rows(line)
            commands.append(("LINEBELOW", (0, len(rows) - 1), (-1, len(rows) - 1), 0.25, RULE))
        if not self.doc.lines:
            no_lines = Paragraph(markup(labels.no_lines), self.cell)
            rows.append(["", "", no_lines, "", "", "", "", ""])
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(commands))
        return table

    def _line_rows(self, line: PrintLine) -> list[list[Any]]:
        pieces = split_text(line.description)
        first = [
            Paragraph(str(line.line_no), self.cell),
            Paragraph(markup(line.sku), self.cell),
            Paragraph(markup(pieces[0]), self.cell),
            Paragraph(format_quantity(line.quantity), self.cell_right),
            Paragraph(format_amount(line.unit_price), self.cell_right),
            Paragraph(format_percent(line.discount_percent), self.cell_right),
            Paragraph(format_percent(line.tax_rate), self.cell_right),
            Paragraph(format_amount(line.net_amount), self.cell_right),
        ]
        more = [
            ["", "", Paragraph(markup(piece), self.cell), "", "", "", "", ""]
            for piece in pieces[1:]
        ]
        return [first, *more]

    def _totals_table(self) -> Table:
        doc = self.doc
        labels = self.labels
        currency = markup(doc.currency)

        def amount(value: Decimal, style: ParagraphStyle | None = None) -> Paragraph:
            return Paragraph(f"{format_amount(value)} {currency}", style or self.cell_right)

        def label(text: str, style: ParagraphStyle | None = None) -> Paragraph:
            return Paragraph(markup(text), style or self.cell_right)

        rows: list[list[Any]] = [[label(labels.net_total), amount(doc.totals.net)]]
        for tax in doc.taxes:
            text = labels.tax_on.format(rate=format_percent(tax.rate), base=format_amount(tax.base))
            rows.append([label(text), amount(tax.amount)])
        rows.append([label(labels.total_tax), amount(doc.totals.tax)])
        rows.append(
            [
                label(labels.total.format(currency=doc.currency), self.total_right),
                amount(doc.totals.gross, self.total_right),
            ]
        )
        table = Table(rows, colWidths=[60 * mm, 38 * mm], hAlign="RIGHT")
        table.setStyle(
            TableStyle(
                [
                    ("LINEABOVE", (0, -1), (-1, -1), 0.75, GREY),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.75, GREY),
                    *_cells(2, self.regular),
                ]
            )
        )
        return table

    def _payment(self) -> list[Flowable]:
        doc = self.doc
        labels = self.labels
        flowables: list[Flowable] = [
            Paragraph(markup(labels.payment_terms), self.heading),
            Paragraph(markup(doc.payment_terms.wording(labels)), self.base),
        ]
        if doc.kind is DocumentKind.QUOTE and doc.valid_until:
            validity = labels.quotation_valid_until.format(date=doc.valid_until.isoformat())
            flowables.append(Paragraph(markup(validity), self.base))
        if doc.kind is DocumentKind.INVOICE:
            request = labels.payment_request(
                format_amount(doc.totals.gross), doc.currency, doc.due_date, doc.number
            )
            flowables.append(Paragraph(markup(request), self.base))
            if self.letterhead.bank_details:
                text = "\n".join(self.letterhead.bank_details)
                flowables += [Spacer(1, 2 * mm), Paragraph(markup(text), self.small)]
        return flowables

    # --- page decorations ------------------------------------------------------------------

    def _footer_left(self) -> str:
        head = self.letterhead
        parts: Iterable[str | None] = (
            head.name,
            f"{self.labels.vat_id} {head.vat_id}" if head.vat_id else None,
            head.email,
        )
        return " · ".join(part for part in parts if part)

    def _footer_text(self) -> tuple[str, ...]:
        """The template's footer text: at most two lines, each cut to the page's width."""
        if self.look is None or not self.look.footer_text:
            return ()
        cleaned = _CONTROL.sub("", self.look.footer_text)
        lines = _text_lines(cleaned)[:FOOTER_TEXT_LINES]
        return tuple(_fit(line, self.regular, 7, self.width) for line in lines)

    def _continuation_header(self, canvas: Any, _: Any) -> None:
        width, height = self.page_size
        canvas.saveState()
        canvas.setFont(self.regular, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(self.margin, height - 10 * mm, self.letterhead.name)
        canvas.drawRightString(
            width - self.margin, height - 10 * mm, f"{self.doc.title} {self.doc.number}"
        )
        canvas.restoreState()


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis until it fits `width` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(f"{text}…", font, size) > width:
        text = text[:-1]
    return f"{text.rstrip()}…"


def _cells(points: float, font: str) -> list[tuple[Any, ...]]:
    """Table style commands: the same padding in every cell, and the embedded font for plain
    strings (reportlab's default, Helvetica, is neither embedded nor Unicode)."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("LEFTPADDING", (0, 0), (-1, -1), points),
        ("RIGHTPADDING", (0, 0), (-1, -1), points),
        ("TOPPADDING", (0, 0), (-1, -1), points),
        ("BOTTOMPADDING", (0, 0), (-1, -1), points),
    ]
