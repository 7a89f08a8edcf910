"""Customer payments: received once, allocated across invoices, the rest kept as credit.

- `receive_payment`: a payment of a customer, allocated oldest due first or as the user chose;
  what is left is the customer's credit.
- `allocate_payment` / `apply_credit`: allocate what a payment (or the customer's credit, oldest
  payment first) has left, later.
- `reverse_payment`: a bounced payment; every invoice it settled owes that amount again.
- `refund_credit`: pay the customer's credit back, never more than there is.

Locks: a payment's row before the invoices', invoices in id order, so concurrent use cases
queue instead of deadlocking, and no invoice or payment is ever over-allocated.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from billing.domain.model import Invoice, PaymentMethod, money
from billing.domain.payment import (
    Allocation,
    AllocationRefused,
    CustomerPayment,
    InvalidAllocation,
    Refund,
    RefundPart,
    check_allocatable,
    check_positive,
    credit_of,
    draw_credit,
    plan_oldest_first,
    take_back,
)
from billing.service_layer.events import SOURCE
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import EventType, new_event
from contracts import events as e

log = logging.getLogger(__name__)


class PaymentNotFound(Exception):
    pass


@dataclass(frozen=True)
class PaymentFilter:
    customer_id: str | None = None
    currency: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class PaymentPosition:
    created_at: datetime
    id: str


class PaymentRepository(Protocol):
    async def get(self, payment_id: str, *, for_update: bool = False) -> CustomerPayment | None:
        """The payment with its allocations; `for_update` locks it until commit."""
        ...

    async def add(self, payment: CustomerPayment) -> None:
        """Store a new payment (its allocations are added one by one)."""
        ...

    async def add_allocation(
        self, payment: CustomerPayment, allocation: Allocation, invoice: Invoice
    ) -> None:
        """Store the allocation and the invoice's new paid total and status."""
        ...

    async def save_reversal(self, payment: CustomerPayment, invoices: Sequence[Invoice]) -> None:
        """Store the reversed payment, its allocations marked reversed, and the invoices."""
        ...

    async def with_credit(self, customer_id: str, currency: str) -> list[CustomerPayment]:
        """The customer's received payments in `currency` with something left, oldest first,
        locked until commit."""
        ...

    async def credit(self, customer_id: str) -> dict[str, Decimal]:
        """The customer's credit per currency (currencies with none left out)."""
        ...

    async def open_invoice_ids(self, customer_id: str, currency: str) -> list[str]:
        """The customer's invoices in `currency` that still owe something."""
        ...

    async def search(
        self, where: PaymentFilter, *, limit: int, after: PaymentPosition | None = None
    ) -> list[CustomerPayment]:
        """Payments newest first."""
        ...

    async def add_refund(self, refund: Refund, drawn: Sequence[CustomerPayment]) -> None:
        """Store the refund and the refunded totals of the payments it drew from."""
        ...

    async def get_refund(self, refund_id: str) -> Refund | None: ...

    async def search_refunds(
        self, customer_id: str | None, *, limit: int, after: PaymentPosition | None = None
    ) -> list[Refund]:
        """Refunds newest first."""
        ...


class PaymentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def payments(self) -> PaymentRepository: ...


@dataclass(frozen=True)
class Requested:
    """An allocation the user chose: this much to this invoice."""

    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class NewCustomerPayment:
    customer_id: str
    currency: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = None


async def receive_payment(
    uow: PaymentsUnitOfWork,
    new: NewCustomerPayment,
    requested: Sequence[Requested] | None,
    *,
    correlation_id: str | None = None,
) -> CustomerPayment:
    """Record a payment and allocate it: as `requested`, or oldest due first when None.

    Raises `InvalidAllocation` (another customer's invoice, another currency, an unknown
    invoice) or `AllocationRefused` (above the payment or an invoice's open amount); nothing is
    stored then.
    """
    check_positive(new.amount, new.currency)
    payment = CustomerPayment(
        id=str(uuid.uuid4()),
        customer_id=new.customer_id,
        currency=new.currency,
        amount=new.amount,
        received_at=new.received_at,
        method=new.method,
        reference=new.reference,
    )
    await uow.payments.add(payment)
    await _allocate(
        uow,
        [payment],
        requested,
        new.received_at,
        correlation_id,
        customer_id=payment.customer_id,
        currency=payment.currency,
    )
    log.info(
        "payment %s of %s %s from customer %s: %s allocated, %s credit",
        payment.id,
        payment.amount,
        payment.currency,
        payment.customer_id,
        payment.allocated_total,
        payment.unallocated,
    )
    return payment


async def allocate_payment(
    uow: PaymentsUnitOfWork,
    payment_id: str,
    requested: Sequence[Requested] | None,
    *,
    at: datetime,
    correlation_id: str | None = None,
) -> CustomerPayment:
    """Allocate what the payment has left: as `requested`, or oldest due first."""
    payment = await uow.payments.get(payment_id, for_update=True)
    if payment is None:
        raise PaymentNotFound(payment_id)
    await _allocate(
        uow,
        [payment],
        requested,
        at,
        correlation_id,
        customer_id=payment.customer_id,
        currency=payment.currency,
    )
    return payment


async def apply_credit(
    uow: PaymentsUnitOfWork,
    customer_id: str,
    currency: str,
    requested: Sequence[Requested] | None,
    *,
    at: datetime,
    correlation_id: str | None = None,
) -> tuple[list[Allocation], Decimal]:
    """Allocate the customer's credit in `currency` (oldest payment's first) to invoices; the
    allocations made and the credit left."""
    payments = await uow.payments.with_credit(customer_id, currency)
    made = await _allocate(
        uow, payments, requested, at, correlation_id, customer_id=customer_id, currency=currency
    )
    return made, credit_of(payments, currency)


async def _allocate(
    uow: PaymentsUnitOfWork,
    payments: Sequence[CustomerPayment],
    requested: Sequence[Requested] | None,
    at: datetime,
    correlation_id: str | None,
    *,
    customer_id: str,
    currency: str,
) -> list[Allocation]:
    """Allocate what `payments` have left, in their order, to the requested invoices (or the
    customer's open invoices, oldest due first); the allocations made."""
    available = credit_of(payments, currency)
    if requested is None:
        ids = await uow.payments.open_invoice_ids(customer_id, currency)
        invoices = [await _invoice(uow, invoice_id) for invoice_id in sorted(ids)]
        plan = plan_oldest_first(invoices, available)
    else:
        plan = await _requested_plan(uow, requested, available, customer_id, currency)
    queue = [p for p in payments if p.unallocated > 0]
    made: list[Allocation] = []
    for invoice, amount in plan:
        left = amount
        while left > 0:
            if not queue:  # cannot happen: the plan stays within what the payments have
                raise AllocationRefused(f"nothing left to allocate to {invoice.number}")
            payment = queue[0]
            part = min(left, payment.unallocated)
            allocation = Allocation(
                id=str(uuid.uuid4()),
                invoice_id=invoice.id,
                invoice_number=invoice.number,
                order_id=invoice.order_id,
                amount=part,
                allocated_at=at,
            )
            payment.allocate(invoice, part, allocation)
            await uow.payments.add_allocation(payment, allocation, invoice)
            received = e.PaymentReceived(
                **_allocation_facts(payment, allocation, invoice),
                received_at=allocation.allocated_at,
                method=payment.method.value,
                reference=payment.reference,
            )
            await _record(
                uow, EventType.PAYMENT_RECEIVED, received, invoice.order_id, correlation_id
            )
            made.append(allocation)
            left = money(left - part, invoice.currency)
            if payment.unallocated == 0:
                queue.pop(0)
    return made


async def _requested_plan(
    uow: PaymentsUnitOfWork,
    requested: Sequence[Requested],
    available: Decimal,
    customer_id: str,
    currency: str,
) -> list[tuple[Invoice, Decimal]]:
    seen: set[str] = set()
    for index, item in enumerate(requested):
        if item.invoice_id in seen:
            raise InvalidAllocation(
                f"invoice {item.invoice_id} is allocated twice",
                field=f"allocations.{index}.invoice_id",
            )
        seen.add(item.invoice_id)
    total = money(sum((item.amount for item in requested), Decimal(0)), currency)
    if total > available:
        raise AllocationRefused(
            f"the allocations add up to {total} {currency}, more than the {available} "
            f"{currency} available"
        )
    by_id: dict[str, Invoice] = {}
    for invoice_id in sorted(seen):  # locked in id order, as everywhere
        invoice = await uow.invoices.get(invoice_id, for_update=True)
        if invoice is not None:
            by_id[invoice_id] = invoice
    plan: list[tuple[Invoice, Decimal]] = []
    for index, item in enumerate(requested):
        invoice = by_id.get(item.invoice_id)
        if invoice is None:
            raise InvalidAllocation(
                f"no invoice {item.invoice_id}", field=f"allocations.{index}.invoice_id"
            )
        try:
            check_allocatable(invoice, customer_id, currency)
        except InvalidAllocation as exc:
            raise InvalidAllocation(str(exc), field=f"allocations.{index}.invoice_id") from None
        plan.append((invoice, item.amount))
    return plan


async def _invoice(uow: PaymentsUnitOfWork, invoice_id: str) -> Invoice:
    invoice = await uow.invoices.get(invoice_id, for_update=True)
    assert invoice is not None, "an open invoice listed a moment ago, in this transaction"
    return invoice


async def reverse_payment(
    uow: PaymentsUnitOfWork,
    payment_id: str,
    reason: str,
    *,
    at: datetime,
    correlation_id: str | None = None,
) -> CustomerPayment:
    """Reverse a payment (bounced, returned): each invoice it settled owes that part again.

    Raises `PaymentAlreadyReversed` or `ReversalRefused` (refunded in part); nothing changes.
    """
    payment = await uow.payments.get(payment_id, for_update=True)
    if payment is None:
        raise PaymentNotFound(payment_id)
    undone = payment.reverse(reason, at)
    invoices: dict[str, Invoice] = {}
    for invoice_id in sorted({a.invoice_id for a in undone}):
        invoices[invoice_id] = await _invoice(uow, invoice_id)
    for allocation in undone:
        take_back(invoices[allocation.invoice_id], allocation.amount)
    await uow.payments.save_reversal(payment, list(invoices.values()))
    for allocation in undone:
        invoice = invoices[allocation.invoice_id]
        reversed_ = e.PaymentReversed(
            **_allocation_facts(payment, allocation, invoice), reason=reason, reversed_at=at
        )
        await _record(uow, EventType.PAYMENT_REVERSED, reversed_, invoice.order_id, correlation_id)
    log.info("payment %s reversed (%s): %d invoice(s) reopened", payment.id, reason, len(invoices))
    return payment


async def refund_credit(
    uow: PaymentsUnitOfWork, refund: Refund, *, correlation_id: str | None = None
) -> Decimal:
    """Pay `refund` out of the customer's credit, drawn from the oldest payments first; the
    credit left. Raises `InsufficientCredit` (nothing changes) above the customer's credit."""
    check_positive(refund.amount, refund.currency)
    payments = await uow.payments.with_credit(refund.customer_id, refund.currency)
    drawn = draw_credit(payments, refund.amount, refund.currency)
    for payment, amount in drawn:
        payment.refund(amount)
        refund.parts.append(RefundPart(payment_id=payment.id, amount=amount))
    await uow.payments.add_refund(refund, [payment for payment, _ in drawn])
    left = credit_of(payments, refund.currency)
    paid = e.RefundPaid(
        refund_id=refund.id,
        customer_id=refund.customer_id,
        amount=refund.amount,
        currency=refund.currency,
        method=refund.method.value,
        reference=refund.reference,
        reason=refund.reason,
        paid_at=refund.paid_at,
        credit_left=left,
    )
    await _record(uow, EventType.REFUND_PAID, paid, refund.customer_id, correlation_id)
    log.info(
        "refund %s of %s %s to customer %s; credit left %s",
        refund.id,
        refund.amount,
        refund.currency,
        refund.customer_id,
        left,
    )
    return left


def _allocation_facts(
    payment: CustomerPayment, allocation: Allocation, invoice: Invoice
) -> dict[str, Any]:
    """What the events about an allocation say of it, and of the invoice after it."""
    return {
        "payment_id": payment.id,
        "allocation_id": allocation.id,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "order_id": invoice.order_id,
        "customer_id": payment.customer_id,
        "amount": allocation.amount,
        "currency": payment.currency,
        "paid_total": invoice.paid_total,
        "balance": invoice.balance,
        "status": e.InvoiceStatus(invoice.status.value),
    }


async def _record(
    uow: PaymentsUnitOfWork,
    event_type: EventType,
    payload: BaseModel,
    subject: str,
    correlation_id: str | None,
) -> None:
    await uow.record(
        new_event(
            event_type, payload, source=SOURCE, subject=subject, correlation_id=correlation_id
        )
    )
