"""The customer statement PDF: the company block, the customer and the period, then per
currency the account (opening balance, every movement with the running balance, closing
balance), the invoices open at the period's end, the customer's credit and the balance due.

Built from the same parts as the order documents (letterhead, styles, numbered pages, the
embedded fonts) and just as deterministic. Labels are English (statements have no template).
"""

from __future__ import annotations

import asyncio
import functools
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from documents.adapters.pdf.canvas import NumberedCanvas
from documents.adapters.pdf.fonts import register_family
from documents.adapters.pdf.layout import FRAME_PADDING, MARGIN
from documents.adapters.pdf.letterhead import Letterhead, company_block, footer_left
from documents.adapters.pdf.renderer import _RENDER_LOCK, PAGE_SIZES, RenderingFailed
from documents.adapters.pdf.styles import GREY, RULE, cells, styles_for
from documents.adapters.pdf.tables import facts_table, right_column, two_columns
from documents.adapters.pdf.text import Paragraph, format_amount, markup
from documents.domain.labels import labels_for
from documents.domain.statements import PrintableStatement, StatementAccount

TITLE = "Statement of account"
KIND_LABELS = {
    "invoice": "Invoice",
    "payment": "Payment",
    "payment_reversed": "Payment reversed",
    "refund": "Refund",
    "credit_note": "Credit note",
}


class StatementRenderer:
    """Renders a PrintableStatement to PDF bytes (implements the service layer's
    `StatementRenderer` port: in a worker thread, one render at a time per process)."""

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

    async def render_statement(self, statement: PrintableStatement) -> bytes:
        return await asyncio.to_thread(self.render, statement)

    def render(self, statement: PrintableStatement) -> bytes:
        """The statement as PDF bytes (blocking)."""
        regular, bold = register_family(self.font_path, self.bold_font_path)
        try:
            with _RENDER_LOCK:
                return _StatementLayout(
                    statement, self.letterhead, self.page_size, regular, bold
                ).build()
        except Exception as exc:
            raise RenderingFailed(
                f"cannot render statement {statement.statement_id}: {exc}"
            ) from exc


class _StatementLayout:
    def __init__(
        self,
        statement: PrintableStatement,
        letterhead: Letterhead,
        page_size: tuple[float, float],
        regular: str,
        bold: str,
    ) -> None:
        self.statement = statement
        self.letterhead = letterhead
        self.page_size = page_size
        self.regular = regular
        self.styles = styles_for(regular, bold, None)
        self.labels = labels_for(None)
        self.width = page_size[0] - 2 * MARGIN

    def build(self) -> bytes:
        st = self.statement
        customer = st.customer_name or st.customer_id
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=self.page_size,
            leftMargin=MARGIN - FRAME_PADDING,
            rightMargin=MARGIN - FRAME_PADDING,
            topMargin=16 * mm,
            bottomMargin=22 * mm,
            title=f"{TITLE} {customer}",
            author=self.letterhead.name,
            subject=f"{TITLE} {customer} {st.period_start}..{st.period_end}",
            creator="Sales order suite: documents service",
            initialFontName=self.regular,
            invariant=1,
        )
        canvasmaker = functools.partial(
            NumberedCanvas,
            footer_left=footer_left(self.letterhead, self.labels),
            footer_right=f"{TITLE} {customer}",
            font=self.regular,
            page_label=self.labels.page_of,
        )
        template.build(self.story(), canvasmaker=canvasmaker)
        return buffer.getvalue()

    def story(self) -> list[Flowable]:
        st, styles = self.statement, self.styles
        facts = [
            ("Customer", st.customer_name or st.customer_id),
            ("Customer no.", st.customer_id),
            ("Period", f"{st.period_start.isoformat()} – {st.period_end.isoformat()}"),
        ]
        head: list[Flowable] = [
            Paragraph(markup(TITLE), styles.title),
            Spacer(1, 2 * mm),
            facts_table(facts, styles, right_column(self.width)),
        ]
        story: list[Flowable] = [
            two_columns(
                company_block(self.letterhead, self.labels, styles), head, self.width, styles
            ),
            Spacer(1, 8 * mm),
        ]
        if not st.accounts:
            story.append(Paragraph("No movements and nothing owed.", styles.base))
        for account in st.accounts:
            story += [
                Paragraph(markup(f"Account in {account.currency}"), styles.heading),
                self._account_table(account),
                Spacer(1, 6 * mm),
            ]
        if st.open_items:
            story += [
                Paragraph(markup(f"Open items on {st.period_end.isoformat()}"), styles.heading),
                self._open_items_table(),
                Spacer(1, 6 * mm),
            ]
        if st.credit:
            text = ", ".join(f"{format_amount(a, c)} {c}" for c, a in st.credit)
            story += [
                Paragraph("Credit available", styles.heading),
                Paragraph(markup(text), styles.base),
                Spacer(1, 6 * mm),
            ]
        story += self._balance_due()
        return story

    def _table(self, rows: list[list[Any]], widths: list[float | None], *, totals: int) -> Table:
        fixed = sum(w for w in widths if w is not None)
        widths = [self.width - fixed if w is None else w for w in widths]
        commands: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), self.styles.header_fill),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            *cells(2.5, self.regular),
        ]
        if totals:
            commands.append(("LINEABOVE", (0, -totals), (-1, -totals), 0.75, GREY))
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(commands))
        return table

    def _head(self, *names: str, right_from: int) -> list[Paragraph]:
        s = self.styles
        return [
            Paragraph(markup(name), s.head_right if i >= right_from else s.head)
            for i, name in enumerate(names)
        ]

    def _amount(self, value: Decimal, currency: str, *, bold: bool = False) -> Paragraph:
        style = self.styles.total_right if bold else self.styles.cell_right
        return Paragraph(format_amount(value, currency), style)

    def _account_table(self, account: StatementAccount) -> Table:
        s, currency = self.styles, account.currency
        blank = Paragraph("", s.cell)
        rows: list[list[Any]] = [
            self._head("Date", "Movement", "Reference", "Debit", "Credit", "Balance", right_from=3),
            [
                Paragraph(self.statement.period_start.isoformat(), s.cell),
                Paragraph("Opening balance", s.cell),
                blank,
                blank,
                blank,
                self._amount(account.opening_balance, currency),
            ],
        ]
        for entry in account.entries:
            rows.append(
                [
                    Paragraph(entry.on.isoformat(), s.cell),
                    Paragraph(markup(KIND_LABELS.get(entry.kind, entry.kind)), s.cell),
                    Paragraph(markup(entry.reference), s.cell),
                    self._amount(entry.debit, currency) if entry.debit else blank,
                    self._amount(entry.credit, currency) if entry.credit else blank,
                    self._amount(entry.balance, currency),
                ]
            )
        rows.append(
            [
                Paragraph(self.statement.period_end.isoformat(), s.cell),
                Paragraph(markup("Closing balance"), s.head),
                blank,
                blank,
                blank,
                self._amount(account.closing_balance, currency, bold=True),
            ]
        )
        widths: list[float | None] = [22 * mm, 32 * mm, None, 25 * mm, 25 * mm, 27 * mm]
        return self._table(rows, widths, totals=1)

    def _open_items_table(self) -> Table:
        s = self.styles
        rows: list[list[Any]] = [
            self._head("Invoice", "Issued", "Due", "Days past due", "Amount", "Open", right_from=3)
        ]
        for item in self.statement.open_items:
            rows.append(
                [
                    Paragraph(markup(item.invoice_number), s.cell),
                    Paragraph(item.issue_date.isoformat(), s.cell),
                    Paragraph(item.due_date.isoformat(), s.cell),
                    Paragraph(str(item.days_past_due), s.cell_right),
                    Paragraph(
                        f"{format_amount(item.gross, item.currency)} {item.currency}", s.cell_right
                    ),
                    Paragraph(
                        f"{format_amount(item.open, item.currency)} {item.currency}", s.cell_right
                    ),
                ]
            )
        widths: list[float | None] = [None, 22 * mm, 22 * mm, 24 * mm, 30 * mm, 30 * mm]
        return self._table(rows, widths, totals=0)

    def _balance_due(self) -> list[Flowable]:
        s = self.styles
        rows: list[list[Any]] = []
        for account in self.statement.accounts:
            currency, balance = account.currency, account.closing_balance
            label = "Balance due" if balance >= 0 else "In your favour"
            rows.append(
                [
                    Paragraph(markup(f"{label} ({currency})"), s.total_right),
                    Paragraph(f"{format_amount(abs(balance), currency)} {currency}", s.total_right),
                ]
            )
        if not rows:
            return []
        table = Table(rows, colWidths=[60 * mm, 38 * mm], hAlign="RIGHT")
        table.setStyle(
            TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.75, GREY), *cells(2, self.regular)])
        )
        return [table]
