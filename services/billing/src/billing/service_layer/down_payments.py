"""Deducting down payments: what is left of an order's down payments is deducted from its next
invoices (not the recurring ones) as negative lines, never taking an invoice below zero.

The lines of down-payment invoices and the lines deducting them are marked
(`DownPaymentRepository`), so they never count as invoiced quantities of the order's lines and
what is left to deduct is their sum per tax rate.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from billing.domain import down_payments as rules
from billing.domain.down_payments import RateLeft
from billing.domain.model import Invoice, InvoiceLine, money
from billing.service_layer.events import SOURCE
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import CloudEvent, EventType, new_event
from contracts import common as c
from contracts import events as e
from servicekit.mapping import copied


class MarkedKind(StrEnum):
    DOWN_PAYMENT = "down_payment"
    DEDUCTION = "deduction"


class DownPaymentRepository(Protocol):
    async def mark(
        self, order_id: str, invoice_id: str, line_nos: list[int], kind: MarkedKind
    ) -> None:
        """Mark lines of the invoice as a down payment's, or as deducting down payments."""
        ...

    async def left(self, order_id: str) -> list[RateLeft]:
        """Per tax rate, the order's marked lines summed: what is left to deduct."""
        ...

    async def numbers(self, order_id: str) -> list[str]:
        """The numbers of the order's down-payment invoices, in issue order."""
        ...


class DownPaymentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def down_payments(self) -> DownPaymentRepository: ...


def gross_of(left: list[RateLeft]) -> Decimal:
    return sum((rate.gross for rate in left), Decimal(0))


async def deduction(
    uow: DownPaymentsUnitOfWork, order: c.OrderSnapshot, lines: list[InvoiceLine]
) -> tuple[list[InvoiceLine], list[RateLeft]]:
    """The negative lines an invoice of `lines` deducts, and what was left before it."""
    left = await uow.down_payments.left(order.order_id)
    if not left:
        return [], left
    numbers = ", ".join(await uow.down_payments.numbers(order.order_id))
    found = rules.deduction_lines(
        left,
        sum((line.gross_amount for line in lines), Decimal(0)),
        first_line_no=max(line.line_no for line in order.lines) + 1,
        currency=order.currency,
        description=f"Down payment deducted ({numbers})",
    )
    return [copied(InvoiceLine, line) for line in found], left


def deducted_amount(lines: list[InvoiceLine], currency: str) -> Decimal:
    return money(-sum((line.gross_amount for line in lines), Decimal(0)), currency)


async def deducted(
    uow: DownPaymentsUnitOfWork,
    cause: CloudEvent[Any] | None,
    invoice: Invoice,
    lines: list[InvoiceLine],
    left: list[RateLeft],
    correlation_id: str | None,
) -> None:
    """Mark the invoice's deduction lines and record `invoice.down_payment_deducted`."""
    await uow.down_payments.mark(
        invoice.order_id, invoice.id, [line.line_no for line in lines], MarkedKind.DEDUCTION
    )
    amount = deducted_amount(lines, invoice.currency)
    payload = e.DownPaymentDeducted(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        currency=invoice.currency,
        amount=amount,
        remaining=money(gross_of(left) - amount, invoice.currency),
        down_payment_numbers=await uow.down_payments.numbers(invoice.order_id),
    )
    await uow.record(
        event_of(cause, EventType.DOWN_PAYMENT_DEDUCTED, payload, invoice.order_id, correlation_id)
    )


def event_of(
    cause: CloudEvent[Any] | None,
    event_type: EventType,
    payload: Any,
    subject: str,
    correlation_id: str | None,
) -> CloudEvent[Any]:
    """An event caused by `cause` (an event), else by a request (`correlation_id`)."""
    if cause is not None:
        return cause.caused(event_type, payload, source=SOURCE, subject=subject)
    return new_event(
        event_type, payload, source=SOURCE, subject=subject, correlation_id=correlation_id
    )
