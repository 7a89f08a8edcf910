"""The lines tables of purchase orders (quantity, unit price, net) and delivery notes (quantity
only: a packing slip never shows a price), and the purchase order's one total."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from documents.adapters.pdf.styles import GREY, RULE, Styles, cells, lines_cells, string_cells
from documents.adapters.pdf.tables import PAD, PADS, TOTALS_PAD
from documents.adapters.pdf.text import (
    Paragraph,
    fitting,
    format_amount,
    format_price,
    format_quantity,
    markup,
    split_text,
)
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument, PrintLine

# (header, width or None for the rest, right-aligned, the cell's text of a line)
Column = tuple[str, float | None, bool, Callable[[PrintLine], str]]
SKU_COLUMN, DESCRIPTION_COLUMN = 1, 2  # user text: may break over lines


def supply_lines_table(
    doc: PrintableDocument, labels: Labels, styles: Styles, width: float, *, prices: bool
) -> Table:
    """No., SKU, description and quantity, plus unit price and net when `prices`; the header
    row repeats on every page and long descriptions continue on rows of their own."""
    currency = doc.currency
    columns: list[Column] = [
        (labels.column_no, 8 * mm, False, lambda line: str(line.line_no)),
        (labels.column_sku, 28 * mm, False, lambda line: line.sku),
        (labels.column_description, None, False, lambda line: ""),
        (labels.column_quantity, 20 * mm, True, lambda line: format_quantity(line.quantity)),
    ]
    if prices:
        columns += [
            (
                labels.column_unit_price,
                24 * mm,
                True,
                lambda line: format_price(line.unit_price, currency),
            ),
            (
                labels.column_net.format(currency=currency),
                26 * mm,
                True,
                lambda line: format_amount(line.net_amount, currency),
            ),
        ]
    rest = width - sum(column[1] for column in columns if column[1] is not None)
    widths = [column[1] if column[1] is not None else rest for column in columns]
    rows: list[list[Any]] = [
        [
            fitting(header, styles.head_right if right else styles.head, widths[index] - PADS)
            for index, (header, _, right, _) in enumerate(columns)
        ]
    ]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), styles.header_fill),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *cells(PAD, styles.regular),
        *lines_cells(styles, right_from=3),
    ]
    for line in doc.lines:
        pieces = split_text(line.description)
        first = [
            _cell(pieces[0] if index == 2 else text(line), index, styles, widths[index] - PADS)
            for index, (_, _, _, text) in enumerate(columns)
        ]
        rows.append(first)
        for piece in pieces[1:]:
            more: list[Any] = [""] * len(columns)
            more[2] = Paragraph(markup(piece), styles.cell)
            rows.append(more)
        commands.append(("LINEBELOW", (0, len(rows) - 1), (-1, len(rows) - 1), 0.25, RULE))
    if not doc.lines:
        empty: list[Any] = [""] * len(columns)
        empty[2] = Paragraph(markup(labels.no_lines), styles.cell)
        rows.append(empty)
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _cell(text: str, column: int, styles: Styles, width: float) -> Paragraph | str:
    """A number as a plain string, the SKU as one when it fits, the description a paragraph
    (see `styles.lines_cells`)."""
    if column == DESCRIPTION_COLUMN:
        return Paragraph(markup(text), styles.cell)
    return fitting(text, styles.cell, width) if column == SKU_COLUMN else text


def total_table(doc: PrintableDocument, labels: Labels, styles: Styles) -> Table:
    """One row: the total in the document's currency."""
    label_width, amount_width = 60 * mm, 38 * mm
    amount = f"{format_amount(doc.totals.gross, doc.currency)} {doc.currency}"
    table = Table(
        [
            [
                fitting(
                    labels.total.format(currency=doc.currency),
                    styles.total_right,
                    label_width - 2 * TOTALS_PAD,
                ),
                fitting(amount, styles.total_right, amount_width - 2 * TOTALS_PAD),
            ]
        ],
        colWidths=[label_width, amount_width],
        hAlign="RIGHT",
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, GREY),
                ("LINEBELOW", (0, -1), (-1, -1), 0.75, GREY),
                *cells(TOTALS_PAD, styles.regular),
                *string_cells(styles.total_right, (0, 0), (-1, -1)),
            ]
        )
    )
    return table
