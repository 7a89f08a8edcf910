"""PostgreSQL storage of the invoice aggregate: invoices, their lines, taxes and payments."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    RowMapping,
    Table,
    bindparam,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.dml import ReturningInsert

from billing.adapters.payment_tables import customer_payments
from billing.adapters.tables import (
    invoice_lines,
    invoice_number_counters,
    invoice_taxes,
    invoices,
    payments,
)
from billing.domain.model import (
    Address,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentTerms,
    TaxAmount,
    Totals,
    plain,
)
from billing.service_layer.unit_of_work import InvoiceFilter, Position
from pricing import in_currency
from servicekit.db import as_arrays, unnested
from servicekit.mapping import copied_or_none
from servicekit.numbering import next_in_year
from servicekit.unit_of_work import SqlRepository


def _address_to_json(address: Address | None) -> dict[str, Any] | None:
    return dataclasses.asdict(address) if address is not None else None


# An invoice with its lines and taxes in one statement, built once: the header's values are
# `invoice_<column>`, the children's arrays `line_<column>` and `tax_<column>` (`_added`).
_HEADER_COLUMNS = tuple(
    column.name
    for column in invoices.c
    if column.name not in ("created_at", "updated_at", "credited_total", "credit_applied")
)
_LINE_COLUMNS = tuple(field.name for field in dataclasses.fields(InvoiceLine))
_TAX_COLUMNS = tuple(field.name for field in dataclasses.fields(TaxAmount))


def _children_added(table: Table, columns: tuple[str, ...], prefix: str) -> Insert:
    rows = unnested(table, columns, prefix)
    invoice_id = bindparam("invoice_id", type_=table.c.invoice_id.type)  # the header's
    return table.insert().from_select(
        ["invoice_id", *columns], select(invoice_id, *(rows.c[column] for column in columns))
    )


def _adding_invoice() -> ReturningInsert[Any]:
    header = invoices.insert().values(
        {
            column: bindparam(f"invoice_{column}", type_=invoices.c[column].type)
            for column in _HEADER_COLUMNS
        }
    )
    # The children's foreign keys are checked at the statement's end, where the header is.
    lines = _children_added(invoice_lines, _LINE_COLUMNS, "line")
    taxes = _children_added(invoice_taxes, _TAX_COLUMNS, "tax")
    return (
        header.returning(invoices.c.created_at)
        .add_cte(lines.cte("lines_added"))
        .add_cte(taxes.cte("taxes_added"))
    )


# Run by `add`, or with an event recorded in the same statement (the unit of work's `issue`).
ADD_INVOICE = _adding_invoice()


def added_parameters(invoice: Invoice) -> dict[str, Any]:
    """The parameters of `ADD_INVOICE` for `invoice`."""
    header = {
        "id": invoice.id,
        "number": invoice.number,
        "order_id": invoice.order_id,
        "order_number": invoice.order_number,
        "customer_id": invoice.customer.id,
        "customer_name": invoice.customer.name,
        "customer_email": invoice.customer.email,
        "billing_address": _address_to_json(invoice.billing_address),
        "shipping_address": _address_to_json(invoice.shipping_address),
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "payment_terms_days": invoice.payment_terms.days,
        "payment_terms_text": invoice.payment_terms.text,
        "customer_reference": invoice.customer_reference,
        "opening_text": invoice.opening_text,
        "closing_text": invoice.closing_text,
        "net_total": invoice.totals.net,
        "tax_total": invoice.totals.tax,
        "gross_total": invoice.totals.gross,
        "paid_total": invoice.paid_total,
        "status": invoice.status.value,
    }
    return (
        {f"invoice_{column}": header[column] for column in _HEADER_COLUMNS}
        | as_arrays(map(dataclasses.asdict, invoice.lines), _LINE_COLUMNS, "line")
        | as_arrays(map(dataclasses.asdict, invoice.totals.taxes), _TAX_COLUMNS, "tax")
    )


class SqlInvoiceRepository(SqlRepository):
    async def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        query = select(invoices).where(invoices.c.id == invoice_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        return (await self._assemble([row]))[0]

    async def lock(self, invoice_id: str) -> bool:
        query = select(invoices.c.id).where(invoices.c.id == invoice_id).with_for_update()
        return (await self.session.execute(query)).first() is not None

    async def for_order(self, order_id: str) -> Invoice | None:
        query = select(invoices).where(invoices.c.order_id == order_id)
        row = (await self.session.execute(query)).mappings().first()
        return (await self._assemble([row]))[0] if row is not None else None

    async def next_sequence(self, year: int) -> int:
        return await next_in_year(self.session, invoice_number_counters, year)

    async def add(self, invoice: Invoice) -> None:
        """The invoice, its lines and its taxes: one statement."""
        added = await self.session.execute(ADD_INVOICE, added_parameters(invoice))
        invoice.created_at = added.scalar_one()

    async def add_payment(self, invoice: Invoice, payment: Payment) -> None:
        # A payment recorded on one invoice is a customer payment of the same id, allocated
        # wholly to it (payments_repository).
        await self.session.execute(
            customer_payments.insert().values(
                id=payment.payment_id or payment.id,
                customer_id=invoice.customer.id,
                currency=invoice.currency,
                amount=payment.amount,
                refunded_total=0,
                received_at=payment.received_at,
                method=payment.method.value,
                reference=payment.reference,
                status="received",
            )
        )
        await self.session.execute(
            payments.insert().values(
                id=payment.id,
                payment_id=payment.payment_id or payment.id,
                invoice_id=invoice.id,
                amount=payment.amount,
                received_at=payment.received_at,
                method=payment.method.value,
                reference=payment.reference,
            )
        )
        await self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(
                paid_total=invoice.paid_total, status=invoice.status.value, updated_at=func.now()
            )
        )

    async def search(
        self, where: InvoiceFilter, *, limit: int, after: Position | None = None
    ) -> list[Invoice]:
        query = select(invoices)
        if where.order_id is not None:
            query = query.where(invoices.c.order_id == where.order_id)
        if where.status is not None:
            query = query.where(invoices.c.status == where.status.value)
        if where.customer_id is not None:
            query = query.where(invoices.c.customer_id == where.customer_id)
        if after is not None:
            query = query.where(
                tuple_(invoices.c.created_at, invoices.c.id) < tuple_(after.created_at, after.id)
            )
        query = query.order_by(invoices.c.created_at.desc(), invoices.c.id.desc()).limit(limit)
        rows = (await self.session.execute(query)).mappings().all()
        return await self._assemble(rows)

    async def _assemble(self, rows: Sequence[RowMapping]) -> list[Invoice]:
        """Invoices from their rows, with their lines, taxes and payments (3 queries)."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        lines = await self._children(invoice_lines, ids, invoice_lines.c.line_no)
        taxes = await self._children(invoice_taxes, ids, invoice_taxes.c.rate)
        paid = await self._children(payments, ids, payments.c.created_at, payments.c.id)
        return [_invoice(row, lines, taxes, paid) for row in rows]

    async def _children(
        self, table: Table, invoice_ids: list[str], *order_by: ColumnElement[Any]
    ) -> dict[str, list[RowMapping]]:
        """The rows of `table` that belong to these invoices, by invoice, in `order_by` order."""
        query = (
            select(table)
            .where(table.c.invoice_id.in_(invoice_ids))
            .order_by(table.c.invoice_id, *order_by)
        )
        found: dict[str, list[RowMapping]] = defaultdict(list)
        for row in (await self.session.execute(query)).mappings():
            found[row["invoice_id"]].append(row)
        return found


def _invoice(
    row: RowMapping,
    lines: dict[str, list[RowMapping]],
    taxes: dict[str, list[RowMapping]],
    paid: dict[str, list[RowMapping]],
) -> Invoice:
    """An invoice from its row and its children's rows; every amount in its currency's form
    (NUMERIC(20, 4) answers JPY 1235 as 1235.0000)."""
    currency = row["currency"]
    return Invoice(
        id=row["id"],
        number=row["number"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        customer=Customer(
            id=row["customer_id"], name=row["customer_name"], email=row["customer_email"]
        ),
        billing_address=copied_or_none(Address, row["billing_address"]),
        shipping_address=copied_or_none(Address, row["shipping_address"]),
        currency=currency,
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        payment_terms=PaymentTerms(days=row["payment_terms_days"], text=row["payment_terms_text"]),
        customer_reference=row["customer_reference"],
        opening_text=row["opening_text"],
        closing_text=row["closing_text"],
        lines=[line_of(line, currency) for line in lines[row["id"]]],
        totals=Totals(
            net=in_currency(row["net_total"], currency),
            tax=in_currency(row["tax_total"], currency),
            gross=in_currency(row["gross_total"], currency),
            taxes=tuple(_tax(tax, currency) for tax in taxes[row["id"]]),
        ),
        status=InvoiceStatus(row["status"]),
        paid_total=in_currency(row["paid_total"], currency),
        payments=[_payment(payment, currency) for payment in paid[row["id"]]],
        created_at=row["created_at"],
        credited_total=in_currency(row["credited_total"], currency),
        credit_applied=in_currency(row["credit_applied"], currency),
    )


def line_of(row: RowMapping, currency: str, parent: str = "invoice_id") -> InvoiceLine:
    """An invoice line from its row (of `invoice_lines` or a table of the same columns under
    another `parent` key), in its currency's form."""
    values = {name: value for name, value in row.items() if name != parent}
    for name in ("quantity", "discount_percent", "tax_rate"):  # 21.0000 -> 21
        values[name] = plain(values[name])
    for name in ("unit_price", "net_amount", "tax_amount", "gross_amount"):
        values[name] = in_currency(values[name], currency)
    return InvoiceLine(**values)


def _tax(row: RowMapping, currency: str) -> TaxAmount:
    return TaxAmount(
        rate=plain(row["rate"]),
        base=in_currency(row["base"], currency),
        amount=in_currency(row["amount"], currency),
    )


def _payment(row: RowMapping, currency: str) -> Payment:
    return Payment(
        id=row["id"],
        amount=in_currency(row["amount"], currency),
        received_at=row["received_at"],
        method=PaymentMethod(row["method"]),
        reference=row["reference"],
        payment_id=row["payment_id"],
        reversed_at=row["reversed_at"],
    )
