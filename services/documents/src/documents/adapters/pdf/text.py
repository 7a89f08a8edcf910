"""Text as reportlab prints it: the paragraph every document uses, user text escaped into
paragraph markup, numbers formatted, long text cut into pieces a table row can hold, a line
shortened to fit a width."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary
from xml.sax.saxutils import escape

from reportlab import platypus
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics

from documents.domain.model import money, price

# Characters that are not allowed in XML (reportlab parses paragraphs as XML-ish markup).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
DESCRIPTION_CHUNK = 600  # characters per table row: keeps every row far shorter than a page
PARSED_PARAGRAPHS_KEPT = 4096  # per rendering process; emptied when full (a few MB at most)

# A paragraph's markup parsed once: (text, style's values) -> its cleaned text and fragments.
_parsed: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, list[Any]]] = {}
_style_values: WeakKeyDictionary[ParagraphStyle, tuple[tuple[str, str], ...]] = WeakKeyDictionary()


def _values_of(style: ParagraphStyle) -> tuple[tuple[str, str], ...]:
    """What a style prints with (a style is not changed once a paragraph uses it)."""
    values = _style_values.get(style)
    if values is None:
        values = tuple(
            sorted((name, repr(value)) for name, value in vars(style).items() if name != "parent")
        )
        _style_values[style] = values
    return values


class Paragraph(platypus.Paragraph):  # type: ignore[misc]
    """reportlab's paragraph, its lines broken once per width.

    A table wraps every cell once to size its rows and again to draw it (and again when it is
    split over pages), and breaking a paragraph into lines is a fifth of a render. The result of
    the last wrap is kept with the width it was for and given again for the same width: the lines
    depend on the width, the text and the style only, so the PDF is byte for byte the same. A
    split or a draw drops it (they work from the lines; a later wrap starts afresh).
    """

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def _setup(
        self,
        text: str,
        style: ParagraphStyle,
        bulletText: Any,
        frags: list[Any] | None,
        cleaner: Callable[[str], str],
    ) -> None:
        """Parse the markup once per text and style: a document's labels, the letterhead and
        many values repeat from render to render, and parsing was a tenth to a fifth of a
        render. Each paragraph gets copies of the fragments (reportlab marks them while
        breaking lines)."""
        if frags is not None or bulletText is not None:
            super()._setup(text, style, bulletText, frags, cleaner)
            return
        key = (text, _values_of(style))
        parsed = _parsed.get(key)
        if parsed is not None:
            cleaned, kept = parsed
            super()._setup(cleaned, style, None, [frag.clone() for frag in kept], cleaner)
            return
        super()._setup(text, style, None, None, cleaner)
        if self.style is style and self.bulletText is None:  # no <para> or <bullet> markup
            if len(_parsed) >= PARSED_PARAGRAPHS_KEPT:
                _parsed.clear()
            _parsed[key] = (self.text, [frag.clone() for frag in self.frags])

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            return self._wrapped[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size)
        return size

    def split(self, availWidth: float, availHeight: float) -> list[platypus.Flowable]:
        try:
            parts: list[platypus.Flowable] = super().split(availWidth, availHeight)
            return parts
        finally:
            self._wrapped = None

    def draw(self) -> None:
        try:
            super().draw()
        finally:
            self._wrapped = None


def fitting(text: str, style: ParagraphStyle, width: float) -> Paragraph | str:
    """`text` for a table cell `width` points wide inside its padding: a plain string when it
    prints on one line as its paragraph would, else a paragraph in `style` that wraps.

    A plain string costs a fraction of a paragraph to lay out and draw and lands on the same
    baseline (see `styles.string_cells`), but prints literally: it is taken only when a
    paragraph would print exactly it (no markup to escape, no control characters, no runs of
    spaces to collapse) and it fits the width."""
    plain = (
        text == " ".join(text.split())
        and not CONTROL.search(text)
        and pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= width
    )
    return text if plain else Paragraph(markup(text), style)


def markup(value: str | None) -> str:
    """User text as paragraph markup that prints literally: escaped, line breaks kept."""
    if not value:
        return ""
    cleaned = CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return escape(cleaned).replace("\t", " ").replace("\n", "<br/>")


def text_lines(value: str) -> list[str]:
    """The non-blank lines of a multi-line setting, stripped."""
    return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


def format_amount(value: Decimal, currency: str | None = None) -> str:
    """1234.5 -> '1,234.50'; rounded half up to the currency's minor unit (JPY '1,235', BHD
    '1,234.500'), to cents without one."""
    return f"{money(value, currency):,f}"


def format_price(value: Decimal, currency: str | None = None) -> str:
    """A unit price: 1234.5 -> '1,234.50', 0.125 -> '0.125', JPY 1200 -> '1,200'."""
    return f"{price(value, currency):,f}"


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


def fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis until it fits `width` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(f"{text}…", font, size) > width:
        text = text[:-1]
    return f"{text.rstrip()}…"
