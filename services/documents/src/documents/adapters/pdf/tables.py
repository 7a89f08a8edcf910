"""The tables of a document: label/value facts, two columns side by side, the lines with their
continuation rows, and the totals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from documents.adapters.pdf.styles import GREY, RULE, Styles, cells, lines_cells, string_cells
from documents.adapters.pdf.text import (
    Paragraph,
    fitting,
    format_amount,
    format_percent,
    format_price,
    format_quantity,
    markup,
    split_text,
)
from documents.domain.labels import Labels
from documents.domain.model import PrintableDocument, PrintLine

LINE_COLUMNS = 8
PAD = 2.5  # points of padding on each side of a lines table's cells
PADS = 2 * PAD
TOTALS_PAD = 2
FACTS_PAD = 1
FACT_LABEL_WIDTH = 26 * mm


def facts_table(facts: Sequence[tuple[str, str]], styles: Styles, width: float) -> Table:
    """Label and value, one fact a row (the number, dates and currency under the title), in a
    block `width` points wide (`right_column`); plain strings where they fit (`fitting`)."""
    label_width = FACT_LABEL_WIDTH
    value_width = width - label_width
    table = Table(
        [
            [
                fitting(label, styles.small_grey, label_width - 2 * FACTS_PAD),
                fitting(value, styles.cell, value_width - 2 * FACTS_PAD),
            ]
            for label, value in facts
        ],
        colWidths=[label_width, value_width],
    )
    table.setStyle(
        TableStyle(
            [
                *cells(FACTS_PAD, styles.regular),
                *string_cells(styles.small_grey, (0, 0), (0, -1)),
                *string_cells(styles.cell, (1, 0), (1, -1)),
            ]
        )
    )
    return table


def right_column(width: float) -> float:
    """The width of `two_columns`' right block."""
    return width * 0.45


def two_columns(left: list[Flowable], right: list[Flowable], width: float, styles: Styles) -> Table:
    """Two blocks side by side, 55% and 45% of the text width, top-aligned."""
    table = Table([[left, right]], colWidths=[width * 0.55, right_column(width)])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *cells(0, styles.regular)]))
    return table


def lines_table(doc: PrintableDocument, labels: Labels, styles: Styles, width: float) -> Table:
    """The document's lines; the header row repeats on every page."""
    currency = doc.currency
    widths = [8 * mm, 22 * mm, 0.0, 14 * mm, 20 * mm, 14 * mm, 13 * mm, 23 * mm]
    widths[2] = width - sum(widths)  # the description takes the rest
    headers = [
        labels.column_no,
        labels.column_sku,
        labels.column_description,
        labels.column_quantity,
        labels.column_unit_price,
        labels.column_discount,
        labels.column_tax,
        labels.column_net.format(currency=currency),
    ]
    header = [
        fitting(text, styles.head_right if column >= 3 else styles.head, widths[column] - PADS)
        for column, text in enumerate(headers)
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), styles.header_fill),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *cells(PAD, styles.regular),
        *lines_cells(styles, right_from=3),
    ]
    promises = dict(doc.line_promises)
    for line in doc.lines:
        rows += line_rows(line, styles, doc.currency, sku_width=widths[1] - PADS)
        promised = promises.get(line.line_no)
        if promised is not None:
            text = labels.line_promised_delivery.format(date=promised.isoformat())
            rows.append(_description_only(Paragraph(markup(text), styles.cell)))
        commands.append(("LINEBELOW", (0, len(rows) - 1), (-1, len(rows) - 1), 0.25, RULE))
    if not doc.lines:
        rows.append(_description_only(Paragraph(markup(labels.no_lines), styles.cell)))
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _description_only(description: Paragraph) -> list[Any]:
    """A row with text in the description column only."""
    row: list[Any] = [""] * LINE_COLUMNS
    row[2] = description
    return row


def line_rows(
    line: PrintLine, styles: Styles, currency: str | None = None, *, sku_width: float
) -> list[list[Any]]:
    """One line: its first row, then a row for each further piece of a long description. The
    numbers are plain strings, as is the SKU when it fits (`fitting`), in the table's
    `lines_cells` style."""
    pieces = split_text(line.description)
    first = [
        str(line.line_no),
        fitting(line.sku, styles.cell, sku_width),
        Paragraph(markup(pieces[0]), styles.cell),
        format_quantity(line.quantity),
        format_price(line.unit_price, currency),
        format_percent(line.discount_percent),
        format_percent(line.tax_rate),
        format_amount(line.net_amount, currency),
    ]
    more = [_description_only(Paragraph(markup(piece), styles.cell)) for piece in pieces[1:]]
    return [first, *more]


def totals_table(doc: PrintableDocument, labels: Labels, styles: Styles) -> Table:
    """Net total, tax per rate, total tax and the gross total, right-aligned; plain strings
    where they fit (`fitting`)."""
    label_width, amount_width = 60 * mm, 38 * mm

    def row(text: str, value: Decimal, style: ParagraphStyle) -> list[Paragraph | str]:
        amount = f"{format_amount(value, doc.currency)} {doc.currency}"
        return [
            fitting(text, style, label_width - 2 * TOTALS_PAD),
            fitting(amount, style, amount_width - 2 * TOTALS_PAD),
        ]

    rows: list[list[Any]] = [row(labels.net_total, doc.totals.net, styles.cell_right)]
    for tax in doc.taxes:
        text = labels.tax_on.format(
            rate=format_percent(tax.rate), base=format_amount(tax.base, doc.currency)
        )
        rows.append(row(text, tax.amount, styles.cell_right))
    rows.append(row(labels.total_tax, doc.totals.tax, styles.cell_right))
    total = labels.total.format(currency=doc.currency)
    rows.append(row(total, doc.totals.gross, styles.total_right))
    table = Table(rows, colWidths=[label_width, amount_width], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, GREY),
                ("LINEBELOW", (0, -1), (-1, -1), 0.75, GREY),
                *cells(TOTALS_PAD, styles.regular),
                *string_cells(styles.cell_right, (0, 0), (-1, -2)),
                *string_cells(styles.total_right, (0, -1), (-1, -1)),
            ]
        )
    )
    return table
