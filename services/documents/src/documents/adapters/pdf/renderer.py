"""The renderer: PrintableDocument in, PDF bytes out (implements the service layer's
`Renderer` port).

reportlab keeps fonts in a process-wide registry and is not documented as thread-safe, so renders
are serialized by a lock within a process; `pool.PooledRenderer` runs `render` in worker
processes (or in a worker thread when inline).
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER

from documents.adapters.pdf.fonts import register_family
from documents.adapters.pdf.layout import DocumentLayout
from documents.adapters.pdf.letterhead import Letterhead
from documents.domain.model import PrintableDocument

PAGE_SIZES = {"A4": A4, "LETTER": LETTER}

_RENDER_LOCK = threading.Lock()


class RenderingFailed(Exception):
    """The document could not be laid out (the same input will always fail)."""


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

    def __getstate__(self) -> dict[str, object]:
        # Registered fonts live in one process's registry: a copy in another process (a pool
        # worker) registers them again.
        return {**self.__dict__, "_fonts": None}

    def check_fonts(self) -> None:
        """Load the fonts now: raises FontUnavailable naming the missing file and package."""
        self.fonts()

    def fonts(self) -> tuple[str, str]:
        if self._fonts is None:
            self._fonts = register_family(self.font_path, self.bold_font_path)
        return self._fonts

    def render(self, document: PrintableDocument) -> bytes:
        """The document as PDF bytes (blocking: run it in a worker thread)."""
        regular, bold = self.fonts()
        try:
            with _RENDER_LOCK:
                layout = DocumentLayout(document, self.letterhead, self.page_size, regular, bold)
                return layout.build()
        except Exception as exc:
            raise RenderingFailed(
                f"cannot render {document.kind.value} {document.number}: {exc}"
            ) from exc
