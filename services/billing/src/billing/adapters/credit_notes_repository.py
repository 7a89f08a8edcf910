"""PostgreSQL storage of credit notes: the notes, their lines and taxes, and what they changed
on their invoice."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, func, select, tuple_, update

from billing.adapters.credit_note_tables import (
    credit_note_lines,
    credit_note_number_counters,
    credit_note_taxes,
    credit_notes,
)
from billing.adapters.tables import invoices
from billing.domain.credit_notes import CreditNote, CreditNoteLine, ReturnRef
from billing.domain.invoicing_policy import Invoiced
from billing.domain.model import Address, Customer, Invoice, TaxAmount, Totals, plain
from billing.service_layer.credit_notes import CreditNoteFilter, CreditNotePosition
from pricing import in_currency
from servicekit.mapping import copied_or_none
from servicekit.numbering import next_in_year
from servicekit.unit_of_work import SqlRepository


class SqlCreditNoteRepository(SqlRepository):
    async def next_sequence(self, year: int) -> int:
        return await next_in_year(self.session, credit_note_number_counters, year)

    async def add(self, note: CreditNote, invoice: Invoice) -> None:
        note.created_at = (
            await self.session.execute(
                credit_notes.insert()
                .values(
                    id=note.id,
                    number=note.number,
                    invoice_id=note.invoice_id,
                    order_id=note.order_id,
                    customer_id=note.customer.id,
                    currency=note.currency,
                    issue_date=note.issue_date,
                    reason=note.reason,
                    net_total=note.totals.net,
                    tax_total=note.totals.tax,
                    gross_total=note.totals.gross,
                    applied_amount=note.applied_amount,
                    customer_credit=note.customer_credit,
                    credit_payment_id=note.credit_payment_id,
                    return_id=note.returned.return_id if note.returned else None,
                    return_number=note.returned.number if note.returned else None,
                    billing_address=(
                        dataclasses.asdict(note.billing_address) if note.billing_address else None
                    ),
                )
                .returning(credit_notes.c.created_at)
            )
        ).scalar_one()
        await self.session.execute(
            credit_note_lines.insert(),
            [{"credit_note_id": note.id, **dataclasses.asdict(line)} for line in note.lines],
        )
        if note.totals.taxes:
            await self.session.execute(
                credit_note_taxes.insert(),
                [
                    {"credit_note_id": note.id, **dataclasses.asdict(tax)}
                    for tax in note.totals.taxes
                ],
            )
        await self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(
                credited_total=invoice.credited_total,
                credit_applied=invoice.credit_applied,
                status=invoice.status.value,
                updated_at=func.now(),
            )
        )

    async def get(self, credit_note_id: str) -> CreditNote | None:
        query = select(credit_notes).where(credit_notes.c.id == credit_note_id)
        row = (await self.session.execute(query)).mappings().first()
        return (await self._assemble([row]))[0] if row is not None else None

    async def search(
        self, where: CreditNoteFilter, *, limit: int, after: CreditNotePosition | None = None
    ) -> list[CreditNote]:
        query = select(credit_notes)
        for column, value in (
            (credit_notes.c.invoice_id, where.invoice_id),
            (credit_notes.c.order_id, where.order_id),
            (credit_notes.c.customer_id, where.customer_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if after is not None:
            query = query.where(
                tuple_(credit_notes.c.created_at, credit_notes.c.id)
                < tuple_(after.created_at, after.id)
            )
        query = query.order_by(credit_notes.c.created_at.desc(), credit_notes.c.id.desc())
        rows = (await self.session.execute(query.limit(limit))).mappings().all()
        return await self._assemble(rows)

    async def credited_lines(self, invoice_id: str) -> dict[int, Invoiced]:
        query = (
            select(
                credit_note_lines.c.invoice_line_no,
                func.sum(credit_note_lines.c.quantity).label("quantity"),
                func.sum(credit_note_lines.c.net_amount).label("net"),
                func.sum(credit_note_lines.c.tax_amount).label("tax"),
                credit_notes.c.currency,
            )
            .join(credit_notes, credit_notes.c.id == credit_note_lines.c.credit_note_id)
            .where(
                credit_notes.c.invoice_id == invoice_id,
                credit_note_lines.c.invoice_line_no.is_not(None),
            )
            .group_by(credit_note_lines.c.invoice_line_no, credit_notes.c.currency)
        )
        return {
            row.invoice_line_no: Invoiced(
                quantity=plain(row.quantity),
                net=in_currency(row.net, row.currency),
                tax=in_currency(row.tax, row.currency),
            )
            for row in (await self.session.execute(query)).all()
        }

    async def for_return(self, return_id: str) -> list[CreditNote]:
        query = (
            select(credit_notes)
            .where(credit_notes.c.return_id == return_id)
            .order_by(credit_notes.c.number)
        )
        return await self._assemble((await self.session.execute(query)).mappings().all())

    async def invoice_ids_of_order(self, order_id: str) -> list[str]:
        query = select(invoices.c.id).where(invoices.c.order_id == order_id).order_by(invoices.c.id)
        return list((await self.session.execute(query)).scalars())

    async def _assemble(self, rows: Sequence[RowMapping]) -> list[CreditNote]:
        """Credit notes from their rows, with their lines, taxes and invoices' identity."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        lines = await self._children(credit_note_lines, ids, credit_note_lines.c.line_no)
        taxes = await self._children(credit_note_taxes, ids, credit_note_taxes.c.rate)
        query = select(
            invoices.c.id,
            invoices.c.number,
            invoices.c.order_number,
            invoices.c.customer_name,
            invoices.c.customer_email,
        ).where(invoices.c.id.in_({row["invoice_id"] for row in rows}))
        invoice_of = {found.id: found for found in (await self.session.execute(query)).all()}
        return [_note(row, invoice_of[row["invoice_id"]], lines, taxes) for row in rows]

    async def _children(
        self, table: Table, ids: list[str], *order_by: ColumnElement[Any]
    ) -> dict[str, list[RowMapping]]:
        query = (
            select(table)
            .where(table.c.credit_note_id.in_(ids))
            .order_by(table.c.credit_note_id, *order_by)
        )
        found: dict[str, list[RowMapping]] = defaultdict(list)
        for row in (await self.session.execute(query)).mappings():
            found[row["credit_note_id"]].append(row)
        return found


def _note(
    row: RowMapping,
    invoice: Any,
    lines: dict[str, list[RowMapping]],
    taxes: dict[str, list[RowMapping]],
) -> CreditNote:
    currency = row["currency"]
    return CreditNote(
        id=row["id"],
        number=row["number"],
        invoice_id=row["invoice_id"],
        invoice_number=invoice.number,
        order_id=row["order_id"],
        order_number=invoice.order_number,
        customer=Customer(
            id=row["customer_id"], name=invoice.customer_name, email=invoice.customer_email
        ),
        billing_address=copied_or_none(Address, row["billing_address"]),
        currency=currency,
        issue_date=row["issue_date"],
        reason=row["reason"],
        lines=[_line(line, currency) for line in lines[row["id"]]],
        totals=Totals(
            net=in_currency(row["net_total"], currency),
            tax=in_currency(row["tax_total"], currency),
            gross=in_currency(row["gross_total"], currency),
            taxes=tuple(
                TaxAmount(
                    rate=plain(tax["rate"]),
                    base=in_currency(tax["base"], currency),
                    amount=in_currency(tax["amount"], currency),
                )
                for tax in taxes[row["id"]]
            ),
        ),
        applied_amount=in_currency(row["applied_amount"], currency),
        customer_credit=in_currency(row["customer_credit"], currency),
        returned=(
            ReturnRef(return_id=row["return_id"], number=row["return_number"] or "")
            if row["return_id"]
            else None
        ),
        credit_payment_id=row["credit_payment_id"],
        created_at=row["created_at"],
    )


def _line(row: RowMapping, currency: str) -> CreditNoteLine:
    values = {name: value for name, value in row.items() if name != "credit_note_id"}
    for name in ("quantity", "discount_percent", "tax_rate"):
        values[name] = plain(values[name])
    for name in ("unit_price", "net_amount", "tax_amount", "gross_amount"):
        values[name] = in_currency(values[name], currency)
    return CreditNoteLine(**values)
