"""The page canvas: page numbers need the page count, known only at the end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from documents.adapters.pdf.styles import GREY, RULE


class NumberedCanvas(Canvas):  # type: ignore[misc]
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
