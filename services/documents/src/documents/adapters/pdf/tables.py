"""The tables of a document: label/value facts, two columns side by side, the lines with their
continuation rows, and the totals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from documents.adapters.pdf.styles import GREY, RULE, Styles, cells, number_cells
from documents.adapters.pdf.text import (
    Paragraph,
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


def facts_table(facts: Sequence[tuple[str, str]], styles: Styles) -> Table:
    """Label and value, one fact a row (the number, dates and currency under the title)."""
    table = Table(
        [
            [Paragraph(markup(label), styles.small_grey), Paragraph(markup(value), styles.cell)]
            for label, value in facts
        ],
        colWidths=[26 * mm, None],
    )
    table.setStyle(TableStyle(cells(1, styles.regular)))
    return table


def two_columns(left: list[Flowable], right: list[Flowable], width: float, styles: Styles) -> Table:
    """Two blocks side by side, 55% and 45% of the text width, top-aligned."""
    table = Table([[left, right]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *cells(0, styles.regular)]))
    return table


def lines_table(doc: PrintableDocument, labels: Labels, styles: Styles, width: float) -> Table:
    """The document's lines; the header row repeats on every page."""
    currency = doc.currency
    widths = [8 * mm, 22 * mm, None, 14 * mm, 20 * mm, 14 * mm, 13 * mm, 23 * mm]
    fixed = sum(w for w in widths if w is not None)
    widths[2] = width - fixed
    header = [
        Paragraph(markup(labels.column_no), styles.head),
        Paragraph(markup(labels.column_sku), styles.head),
        Paragraph(markup(labels.column_description), styles.head),
        Paragraph(markup(labels.column_quantity), styles.head_right),
        Paragraph(markup(labels.column_unit_price), styles.head_right),
        Paragraph(markup(labels.column_discount), styles.head_right),
        Paragraph(markup(labels.column_tax), styles.head_right),
        Paragraph(markup(labels.column_net.format(currency=currency)), styles.head_right),
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), styles.header_fill),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *cells(2.5, styles.regular),
        *number_cells(styles, right_from=3),
    ]
    promises = dict(doc.line_promises)
    for line in doc.lines:
        rows += line_rows(line, styles, doc.currency)
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


def line_rows(line: PrintLine, styles: Styles, currency: str | None = None) -> list[list[Any]]:
    """One line: its first row, then a row for each further piece of a long description. The
    numbers are plain strings in the table's `number_cells` style."""
    pieces = split_text(line.description)
    first = [
        str(line.line_no),
        Paragraph(markup(line.sku), styles.cell),
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
    """Net total, tax per rate, total tax and the gross total, right-aligned."""
    currency = markup(doc.currency)

    def amount(value: Decimal, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(
            f"{format_amount(value, doc.currency)} {currency}", style or styles.cell_right
        )

    def label(text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup(text), style or styles.cell_right)

    rows: list[list[Any]] = [[label(labels.net_total), amount(doc.totals.net)]]
    for tax in doc.taxes:
        text = labels.tax_on.format(
            rate=format_percent(tax.rate), base=format_amount(tax.base, doc.currency)
        )
        rows.append([label(text), amount(tax.amount)])
    rows.append([label(labels.total_tax), amount(doc.totals.tax)])
    rows.append(
        [
            label(labels.total.format(currency=doc.currency), styles.total_right),
            amount(doc.totals.gross, styles.total_right),
        ]
    )
    table = Table(rows, colWidths=[60 * mm, 38 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, GREY),
                ("LINEBELOW", (0, -1), (-1, -1), 0.75, GREY),
                *cells(2, styles.regular),
            ]
        )
    )
    return table
