"""PostgreSQL storage of the payment aggregate: customer payments, allocations and refunds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, and_, func, select, tuple_, update

from billing.adapters.payment_tables import customer_payments, refund_parts, refunds
from billing.adapters.tables import invoices, payments
from billing.domain.model import Invoice, PaymentMethod
from billing.domain.payment import (
    OPEN_STATUSES,
    Allocation,
    CustomerPayment,
    PaymentStatus,
    Refund,
    RefundPart,
)
from billing.service_layer.customer_payments import PaymentFilter, PaymentPosition
from pricing import in_currency
from servicekit.unit_of_work import SqlRepository

# What each payment has allocated (reversed allocations no longer count).
_allocated = (
    select(payments.c.payment_id, func.sum(payments.c.amount).label("allocated"))
    .where(payments.c.reversed_at.is_(None))
    .group_by(payments.c.payment_id)
    .subquery("allocated")
)
_left = (
    customer_payments.c.amount
    - customer_payments.c.refunded_total
    - func.coalesce(_allocated.c.allocated, 0)
)


def _with_left(query: Select[Any]) -> Select[Any]:
    return query.outerjoin(_allocated, _allocated.c.payment_id == customer_payments.c.id)


class SqlPaymentRepository(SqlRepository):
    async def get(self, payment_id: str, *, for_update: bool = False) -> CustomerPayment | None:
        query = select(customer_payments).where(customer_payments.c.id == payment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return (await self._assemble([row]))[0] if row is not None else None

    async def add(self, payment: CustomerPayment) -> None:
        payment.created_at = (
            await self.session.execute(
                customer_payments.insert()
                .values(
                    id=payment.id,
                    customer_id=payment.customer_id,
                    currency=payment.currency,
                    amount=payment.amount,
                    refunded_total=payment.refunded_total,
                    received_at=payment.received_at,
                    method=payment.method.value,
                    reference=payment.reference,
                    status=payment.status.value,
                )
                .returning(customer_payments.c.created_at)
            )
        ).scalar_one()

    async def add_allocation(
        self, payment: CustomerPayment, allocation: Allocation, invoice: Invoice
    ) -> None:
        await self.session.execute(
            payments.insert().values(
                id=allocation.id,
                payment_id=payment.id,
                invoice_id=invoice.id,
                amount=allocation.amount,
                received_at=allocation.allocated_at,
                method=payment.method.value,
                reference=payment.reference,
            )
        )
        await self._save_invoice(invoice)

    async def save_reversal(self, payment: CustomerPayment, invoices: Sequence[Invoice]) -> None:
        await self.session.execute(
            update(customer_payments)
            .where(customer_payments.c.id == payment.id)
            .values(
                status=payment.status.value,
                reversed_at=payment.reversed_at,
                reversal_reason=payment.reversal_reason,
                updated_at=func.now(),
            )
        )
        await self.session.execute(
            update(payments)
            .where(payments.c.payment_id == payment.id, payments.c.reversed_at.is_(None))
            .values(reversed_at=payment.reversed_at)
        )
        for invoice in invoices:
            await self._save_invoice(invoice)

    async def _save_invoice(self, invoice: Invoice) -> None:
        await self.session.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(
                paid_total=invoice.paid_total, status=invoice.status.value, updated_at=func.now()
            )
        )

    async def with_credit(self, customer_id: str, currency: str) -> list[CustomerPayment]:
        query = (
            _with_left(select(customer_payments))
            .where(
                customer_payments.c.customer_id == customer_id,
                customer_payments.c.currency == currency,
                customer_payments.c.status == PaymentStatus.RECEIVED.value,
                _left > 0,
            )
            .order_by(customer_payments.c.received_at, customer_payments.c.id)
            .with_for_update(of=customer_payments)
        )
        rows = (await self.session.execute(query)).mappings().all()
        return await self._assemble(rows)

    async def credit(self, customer_id: str) -> dict[str, Decimal]:
        query = (
            _with_left(select(customer_payments.c.currency, func.sum(_left).label("credit")))
            .where(
                customer_payments.c.customer_id == customer_id,
                customer_payments.c.status == PaymentStatus.RECEIVED.value,
            )
            .group_by(customer_payments.c.currency)
            .order_by(customer_payments.c.currency)
        )
        rows = (await self.session.execute(query)).all()
        return {
            row.currency: in_currency(row.credit, row.currency) for row in rows if row.credit > 0
        }

    async def open_invoice_ids(self, customer_id: str, currency: str) -> list[str]:
        query = select(invoices.c.id).where(
            invoices.c.customer_id == customer_id,
            invoices.c.currency == currency,
            invoices.c.status.in_([status.value for status in OPEN_STATUSES]),
            invoices.c.paid_total < invoices.c.gross_total,
        )
        return list((await self.session.execute(query)).scalars())

    async def search(
        self, where: PaymentFilter, *, limit: int, after: PaymentPosition | None = None
    ) -> list[CustomerPayment]:
        query = select(customer_payments)
        if where.customer_id is not None:
            query = query.where(customer_payments.c.customer_id == where.customer_id)
        if where.currency is not None:
            query = query.where(customer_payments.c.currency == where.currency)
        if where.status is not None:
            query = query.where(customer_payments.c.status == where.status)
        if after is not None:
            query = query.where(
                tuple_(customer_payments.c.created_at, customer_payments.c.id)
                < tuple_(after.created_at, after.id)
            )
        query = query.order_by(
            customer_payments.c.created_at.desc(), customer_payments.c.id.desc()
        ).limit(limit)
        rows = (await self.session.execute(query)).mappings().all()
        return await self._assemble(rows)

    async def add_refund(self, refund: Refund, drawn: Sequence[CustomerPayment]) -> None:
        refund.created_at = (
            await self.session.execute(
                refunds.insert()
                .values(
                    id=refund.id,
                    customer_id=refund.customer_id,
                    currency=refund.currency,
                    amount=refund.amount,
                    paid_at=refund.paid_at,
                    method=refund.method.value,
                    reference=refund.reference,
                    reason=refund.reason,
                )
                .returning(refunds.c.created_at)
            )
        ).scalar_one()
        await self.session.execute(
            refund_parts.insert(),
            [
                {"refund_id": refund.id, "payment_id": part.payment_id, "amount": part.amount}
                for part in refund.parts
            ],
        )
        for payment in drawn:
            await self.session.execute(
                update(customer_payments)
                .where(customer_payments.c.id == payment.id)
                .values(refunded_total=payment.refunded_total, updated_at=func.now())
            )

    async def get_refund(self, refund_id: str) -> Refund | None:
        row = (
            (await self.session.execute(select(refunds).where(refunds.c.id == refund_id)))
            .mappings()
            .first()
        )
        return (await self._refunds([row]))[0] if row is not None else None

    async def search_refunds(
        self, customer_id: str | None, *, limit: int, after: PaymentPosition | None = None
    ) -> list[Refund]:
        query = select(refunds)
        if customer_id is not None:
            query = query.where(refunds.c.customer_id == customer_id)
        if after is not None:
            query = query.where(
                tuple_(refunds.c.created_at, refunds.c.id) < tuple_(after.created_at, after.id)
            )
        query = query.order_by(refunds.c.created_at.desc(), refunds.c.id.desc()).limit(limit)
        return await self._refunds((await self.session.execute(query)).mappings().all())

    async def _refunds(self, rows: Sequence[RowMapping]) -> list[Refund]:
        if not rows:
            return []
        currency_of = {row["id"]: row["currency"] for row in rows}
        parts: dict[str, list[RefundPart]] = defaultdict(list)
        query = (
            select(refund_parts)
            .where(refund_parts.c.refund_id.in_([row["id"] for row in rows]))
            .order_by(refund_parts.c.refund_id, refund_parts.c.payment_id)
        )
        for part in (await self.session.execute(query)).mappings():
            parts[part["refund_id"]].append(
                RefundPart(
                    payment_id=part["payment_id"],
                    amount=in_currency(part["amount"], currency_of[part["refund_id"]]),
                )
            )
        return [
            Refund(
                id=row["id"],
                customer_id=row["customer_id"],
                currency=row["currency"],
                amount=in_currency(row["amount"], row["currency"]),
                paid_at=row["paid_at"],
                method=PaymentMethod(row["method"]),
                reference=row["reference"],
                reason=row["reason"],
                parts=parts[row["id"]],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def _assemble(self, rows: Sequence[RowMapping]) -> list[CustomerPayment]:
        """Payments from their rows, with their allocations (1 query)."""
        if not rows:
            return []
        query = (
            select(
                payments.c.id,
                payments.c.payment_id,
                payments.c.invoice_id,
                payments.c.amount,
                payments.c.received_at,
                payments.c.reversed_at,
                invoices.c.number,
                invoices.c.order_id,
            )
            .join(invoices, and_(invoices.c.id == payments.c.invoice_id))
            .where(payments.c.payment_id.in_([row["id"] for row in rows]))
            .order_by(payments.c.payment_id, payments.c.created_at, invoices.c.number)
        )
        currency_of = {row["id"]: row["currency"] for row in rows}
        allocations: dict[str, list[Allocation]] = defaultdict(list)
        for found in (await self.session.execute(query)).mappings():
            allocations[found["payment_id"]].append(
                Allocation(
                    id=found["id"],
                    invoice_id=found["invoice_id"],
                    invoice_number=found["number"],
                    order_id=found["order_id"],
                    amount=in_currency(found["amount"], currency_of[found["payment_id"]]),
                    allocated_at=found["received_at"],
                    reversed_at=found["reversed_at"],
                )
            )
        return [
            CustomerPayment(
                id=row["id"],
                customer_id=row["customer_id"],
                currency=row["currency"],
                amount=in_currency(row["amount"], row["currency"]),
                received_at=row["received_at"],
                method=PaymentMethod(row["method"]),
                reference=row["reference"],
                status=PaymentStatus(row["status"]),
                allocations=allocations[row["id"]],
                refunded_total=in_currency(row["refunded_total"], row["currency"]),
                reversed_at=row["reversed_at"],
                reversal_reason=row["reversal_reason"],
                created_at=row["created_at"],
            )
            for row in rows
        ]
