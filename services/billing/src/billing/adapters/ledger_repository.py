"""The ledger export read from PostgreSQL: one query, streamed from a server-side cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import Integer, Numeric, String, cast, literal, null, select, union_all

from billing.adapters.credit_note_tables import credit_note_lines, credit_notes
from billing.adapters.payment_tables import customer_payments, refunds
from billing.adapters.receivables_repository import money_received, utc_date
from billing.adapters.tables import invoice_lines, invoices
from billing.domain.ledger import COLUMNS, LedgerRow
from pricing import in_currency, plain
from servicekit.unit_of_work import SqlRepository

_TEXT = String()
_NUMBER = Numeric()


def _none(type_: Any) -> Any:
    return cast(null(), type_)


def _movements(table: Any, kind: str, at: Any, sign: int, start: date, end: date) -> Any:
    """Payments, reversals or refunds as ledger rows: one per movement, dated by `at` (the
    credit a credit note left is no payment: the credit note's lines are its rows)."""
    query = select(
        utc_date(at).label("date"),
        literal(kind).label("type"),
        table.c.id.label("document_id"),
        *(_none(_TEXT).label(name) for name in ("number", "order_id", "order_number")),
        table.c.customer_id,
        _none(_TEXT).label("customer_name"),
        table.c.currency,
        _none(Integer()).label("line_no"),
        *(_none(_TEXT).label(name) for name in ("sku", "description")),
        *(_none(_NUMBER).label(name) for name in ("quantity", "unit_price", "discount_percent")),
        *(_none(_NUMBER).label(name) for name in ("tax_rate", "net_amount", "tax_amount")),
        (table.c.amount * sign).label("gross_amount"),
        table.c.method,
        table.c.reference,
    ).where(utc_date(at).between(start, end))
    if table is customer_payments:
        query = query.where(money_received(customer_payments.c.id))
    return query


def _credit_note_lines(start: date, end: date) -> Any:
    """Credit note lines as ledger rows: amounts negative (they take off what was invoiced),
    the credited invoice's number as the reference."""
    return (
        select(
            credit_notes.c.issue_date.label("date"),
            literal("credit_note").label("type"),
            credit_notes.c.id.label("document_id"),
            credit_notes.c.number,
            credit_notes.c.order_id,
            invoices.c.order_number,
            credit_notes.c.customer_id,
            invoices.c.customer_name,
            credit_notes.c.currency,
            credit_note_lines.c.line_no,
            credit_note_lines.c.sku,
            credit_note_lines.c.description,
            credit_note_lines.c.quantity,
            credit_note_lines.c.unit_price,
            credit_note_lines.c.discount_percent,
            credit_note_lines.c.tax_rate,
            (-credit_note_lines.c.net_amount).label("net_amount"),
            (-credit_note_lines.c.tax_amount).label("tax_amount"),
            (-credit_note_lines.c.gross_amount).label("gross_amount"),
            _none(_TEXT).label("method"),
            invoices.c.number.label("reference"),
        )
        .join(credit_note_lines, credit_note_lines.c.credit_note_id == credit_notes.c.id)
        .join(invoices, invoices.c.id == credit_notes.c.invoice_id)
        .where(credit_notes.c.issue_date.between(start, end))
    )


class SqlLedger(SqlRepository):
    async def rows(self, start: date, end: date) -> AsyncIterator[LedgerRow]:
        lines = (
            select(
                invoices.c.issue_date.label("date"),
                literal("invoice").label("type"),
                invoices.c.id.label("document_id"),
                invoices.c.number,
                invoices.c.order_id,
                invoices.c.order_number,
                invoices.c.customer_id,
                invoices.c.customer_name,
                invoices.c.currency,
                invoice_lines.c.line_no,
                invoice_lines.c.sku,
                invoice_lines.c.description,
                invoice_lines.c.quantity,
                invoice_lines.c.unit_price,
                invoice_lines.c.discount_percent,
                invoice_lines.c.tax_rate,
                invoice_lines.c.net_amount,
                invoice_lines.c.tax_amount,
                invoice_lines.c.gross_amount,
                _none(_TEXT).label("method"),
                _none(_TEXT).label("reference"),
            )
            .join(invoice_lines, invoice_lines.c.invoice_id == invoices.c.id)
            .where(invoices.c.issue_date.between(start, end))
        )
        every = union_all(
            lines,
            _credit_note_lines(start, end),
            _movements(
                customer_payments, "payment", customer_payments.c.received_at, -1, start, end
            ),
            _movements(
                customer_payments,
                "payment_reversal",
                customer_payments.c.reversed_at,
                1,
                start,
                end,
            ),
            _movements(refunds, "refund", refunds.c.paid_at, 1, start, end),
        ).subquery("ledger")
        query = select(every).order_by(
            every.c.date, every.c.type, every.c.number, every.c.document_id, every.c.line_no
        )
        result = await self.session.stream(query.execution_options(yield_per=500))
        async for row in result.mappings():
            yield _row(row)


def _row(row: Any) -> LedgerRow:
    currency = row["currency"]
    values = {name: row[name] for name in COLUMNS}
    for name in ("unit_price", "net_amount", "tax_amount", "gross_amount"):
        if values[name] is not None:
            values[name] = in_currency(values[name], currency)
    for name in ("quantity", "discount_percent", "tax_rate"):
        if values[name] is not None:
            values[name] = plain(values[name])
    return LedgerRow(**values)
