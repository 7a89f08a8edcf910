"""PDF rendering of order confirmations, invoices and quotations with reportlab's platypus.

Layout primitives: `fonts` (the embedded TrueType fonts), `text` (the paragraph, escaping and
number formats), `styles` (colours and paragraph styles), `tables` (facts, lines, totals),
`letterhead` (the company block, the template's image, the footer), `canvas` (page numbers).
`layout` assembles a document from them; what differs per kind of document lives in one module
per kind (`order_confirmation`, `quotation`, `invoice`). `renderer` is the entry point; `pool`
runs it in worker processes.

A document without a template look prints the built-in look: English labels, grey headings.
A template's look changes the language of the labels, puts its letterhead image at the top of
the first page, colours the title, the headings and the lines table's header row, adds its
footer text to every page and overrides parts of the company block.

Everything a user typed is escaped before it reaches reportlab's paragraph markup, so it prints
literally. The text font is a TrueType font embedded in the file (DejaVu Sans by default), so
accented Latin, Cyrillic, Greek and many other scripts render on any reader. Rendering is
deterministic (reportlab's invariant mode): the same document renders to the same bytes, which
makes a redelivered event a no-op and lets the checksum identify a rendition.
"""

from documents.adapters.pdf.fonts import FontUnavailable, register_font
from documents.adapters.pdf.letterhead import Letterhead
from documents.adapters.pdf.pool import PooledRenderer, RendererUnavailable
from documents.adapters.pdf.renderer import PAGE_SIZES, PdfRenderer, RenderingFailed
from documents.adapters.pdf.text import (
    format_amount,
    format_percent,
    format_quantity,
    markup,
    split_text,
)

__all__ = [
    "PAGE_SIZES",
    "FontUnavailable",
    "Letterhead",
    "PdfRenderer",
    "PooledRenderer",
    "RendererUnavailable",
    "RenderingFailed",
    "format_amount",
    "format_percent",
    "format_quantity",
    "markup",
    "register_font",
    "split_text",
]
