"""Colours and paragraph styles of a document: the built-in look, or a template's colours."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from documents.domain.templates import Look, is_dark

GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#BBBBBB")
HEADER_FILL = colors.HexColor("#EDEDED")


STYLE_SETS_KEPT = 64  # per process: one per pair of fonts and template colours


def styles_for(regular: str, bold: str, look: Look | None) -> Styles:
    """The styles of a render in these fonts and this template's colours, built once per
    process: a style is never changed once built, and paragraphs parsed with an equal style
    (the same object, so its values are looked up once) are taken again (see `text`)."""
    primary = look.primary_color if look else None
    accent = look.accent_color if look else None
    return _styles(regular, bold, primary, accent)


class Styles:
    """The paragraph styles of a render, in the embedded fonts and the template's colours:
    the primary colour for the title and headings, the accent colour for the lines table's
    header row (with white text on a dark accent). Not changed once built: renders share them
    (`styles_for`)."""

    def __init__(self, regular: str, bold: str, primary: str | None, accent: str | None) -> None:
        self.regular = regular
        self.bold = bold
        self.base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12)
        self.small = ParagraphStyle("small", parent=self.base, fontSize=7.5, leading=9.5)
        self.small_grey = ParagraphStyle("small_grey", parent=self.small, textColor=GREY)
        self.strong = ParagraphStyle("strong", parent=self.base, fontName=bold)
        self.company = ParagraphStyle("company", parent=self.strong, fontSize=13, leading=16)
        self.title = ParagraphStyle("title", parent=self.strong, fontSize=16, leading=20)
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


@lru_cache(maxsize=STYLE_SETS_KEPT)
def _styles(regular: str, bold: str, primary: str | None, accent: str | None) -> Styles:
    return Styles(regular, bold, primary, accent)


def cells(points: float, font: str) -> list[tuple[Any, ...]]:
    """Table style commands: the same padding in every cell, and the embedded font for plain
    strings (reportlab's default, Helvetica, is neither embedded nor Unicode)."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("LEFTPADDING", (0, 0), (-1, -1), points),
        ("RIGHTPADDING", (0, 0), (-1, -1), points),
        ("TOPPADDING", (0, 0), (-1, -1), points),
        ("BOTTOMPADDING", (0, 0), (-1, -1), points),
    ]


def string_cells(
    style: ParagraphStyle, first: tuple[int, int], last: tuple[int, int]
) -> list[tuple[Any, ...]]:
    """Table style commands printing the plain strings from cell `first` to `last` as a
    paragraph in `style` would print them: font, size, line height, colour and alignment.

    reportlab draws a string a font size below the cell's padding, where a paragraph's first
    baseline is, so a short value printed as a string (see `text.fitting`) looks the same at a
    fraction of a paragraph's cost to lay out and draw."""
    return [
        ("FONTNAME", first, last, style.fontName),
        ("FONTSIZE", first, last, style.fontSize),
        ("LEADING", first, last, style.leading),
        ("TEXTCOLOR", first, last, style.textColor),
        ("ALIGN", first, last, "RIGHT" if style.alignment == TA_RIGHT else "LEFT"),
    ]


def lines_cells(styles: Styles, *, right_from: int) -> list[tuple[Any, ...]]:
    """A lines table's strings: the header row in the header's style, the rows below in the
    cell style, right-aligned from column `right_from` on (the numbers)."""
    return [
        *string_cells(styles.head, (0, 0), (right_from - 1, 0)),
        *string_cells(styles.head_right, (right_from, 0), (-1, 0)),
        *string_cells(styles.cell, (0, 1), (right_from - 1, -1)),
        *string_cells(styles.cell_right, (right_from, 1), (-1, -1)),
    ]
