"""PostgreSQL storage of the marks on down-payment and deduction lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import CompoundSelect, String, and_, bindparam, func, select

from billing.adapters.credit_note_tables import credit_note_lines, credit_notes
from billing.adapters.order_tables import down_payment_lines
from billing.adapters.tables import invoice_lines, invoices
from billing.domain.down_payments import RateLeft, left_to_deduct
from billing.service_layer.down_payments import MarkedKind
from servicekit.unit_of_work import SqlRepository


def _left_to_deduct() -> CompoundSelect[Any]:
    """The order's down-payment and deduction lines, and the credit notes that gave part of a down
    payment back, with their tax rates: what `left` sums per rate. Built once."""
    order_id = bindparam("order_id", type_=String)
    marked = (
        select(invoice_lines.c.tax_rate, invoice_lines.c.net_amount, invoice_lines.c.tax_amount)
        .join(
            down_payment_lines,
            and_(
                down_payment_lines.c.invoice_id == invoice_lines.c.invoice_id,
                down_payment_lines.c.line_no == invoice_lines.c.line_no,
            ),
        )
        .where(down_payment_lines.c.order_id == order_id)
    )
    # A credit note on a down-payment invoice gives that much of the down payment back: it is no
    # longer there to deduct.
    down_payment_invoices = (
        select(down_payment_lines.c.invoice_id)
        .where(
            down_payment_lines.c.order_id == order_id,
            down_payment_lines.c.kind == MarkedKind.DOWN_PAYMENT.value,
        )
        .distinct()
    )
    credited = (
        select(
            credit_note_lines.c.tax_rate,
            -credit_note_lines.c.net_amount,
            -credit_note_lines.c.tax_amount,
        )
        .join(credit_notes, credit_notes.c.id == credit_note_lines.c.credit_note_id)
        .where(credit_notes.c.invoice_id.in_(down_payment_invoices))
    )
    return marked.union_all(credited)


_LEFT_TO_DEDUCT = _left_to_deduct()


class SqlDownPayments(SqlRepository):
    async def mark(
        self, order_id: str, invoice_id: str, line_nos: list[int], kind: MarkedKind
    ) -> None:
        if line_nos:
            await self.session.execute(
                down_payment_lines.insert(),
                [
                    {"invoice_id": invoice_id, "line_no": no, "order_id": order_id, "kind": kind}
                    for no in line_nos
                ],
            )

    async def left(self, order_id: str) -> list[RateLeft]:
        rows = (await self.session.execute(_LEFT_TO_DEDUCT, {"order_id": order_id})).all()
        return left_to_deduct(
            (Decimal(rate).normalize(), Decimal(net), Decimal(tax)) for rate, net, tax in rows
        )

    async def numbers(self, order_id: str) -> list[str]:
        query = (
            select(invoices.c.number)
            .join(down_payment_lines, down_payment_lines.c.invoice_id == invoices.c.id)
            .where(
                down_payment_lines.c.order_id == order_id,
                down_payment_lines.c.kind == MarkedKind.DOWN_PAYMENT.value,
            )
            .group_by(invoices.c.number, invoices.c.created_at)
            .order_by(func.min(invoices.c.created_at), invoices.c.number)
        )
        return list((await self.session.execute(query)).scalars())
