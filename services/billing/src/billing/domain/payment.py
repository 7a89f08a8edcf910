"""Payments as their own aggregate: money received from a customer, allocated to invoices.

A payment (method, reference, date, amount, currency) is allocated across open invoices of its
customer in its currency: oldest due first, or as the user chooses. What is not allocated is
the customer's *credit*: it can be allocated later or refunded. A reversal (a bounced cheque, a
returned transfer) takes back every allocation of the payment, so the invoices it settled are
open again; it cannot take back money already refunded.

Pure Python; amounts are `Decimal` rounded by the suite's `pricing` module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from billing.domain.model import (
    ZERO,
    BillingError,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    PaymentRefused,
    money,
)

OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class InvalidAllocation(BillingError):
    """The allocation names an invoice it cannot settle (another customer's, another
    currency, twice): the request is invalid (422)."""

    def __init__(self, message: str, *, field: str = "allocations") -> None:
        super().__init__(message)
        self.field = field


class AllocationRefused(PaymentRefused):
    """More than the payment has left, or more than an invoice's open amount (409)."""


class PaymentAlreadyReversed(PaymentRefused):
    pass


class ReversalRefused(PaymentRefused):
    """Part of the payment's credit has been refunded: the refund comes first."""


class InsufficientCredit(PaymentRefused):
    """A refund or an application of credit above the customer's credit."""


class PaymentStatus(StrEnum):
    RECEIVED = "received"
    REVERSED = "reversed"


@dataclass(frozen=True)
class Allocation:
    """Part of a payment settling an invoice; also listed among the invoice's payments."""

    id: str
    invoice_id: str
    invoice_number: str
    order_id: str
    amount: Decimal
    allocated_at: datetime
    reversed_at: datetime | None = None


@dataclass
class CustomerPayment:
    """Money received from a customer; its allocations settle invoices, the rest is credit."""

    id: str
    customer_id: str
    currency: str
    amount: Decimal
    received_at: datetime
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = None
    status: PaymentStatus = PaymentStatus.RECEIVED
    allocations: list[Allocation] = field(default_factory=list)
    refunded_total: Decimal = ZERO
    reversed_at: datetime | None = None
    reversal_reason: str | None = None
    created_at: datetime | None = None

    @property
    def allocated_total(self) -> Decimal:
        """What the payment settles on invoices (nothing once reversed)."""
        return money(
            sum((a.amount for a in self.allocations if a.reversed_at is None), ZERO), self.currency
        )

    @property
    def unallocated(self) -> Decimal:
        """The customer's credit from this payment: neither allocated nor refunded."""
        if self.status is PaymentStatus.REVERSED:
            return ZERO
        return money(self.amount - self.allocated_total - self.refunded_total, self.currency)

    def allocate(self, invoice: Invoice, amount: Decimal, allocation: Allocation) -> None:
        """Settle `amount` of `invoice` from what the payment has left.

        Raises `InvalidAllocation` for another customer's invoice or another currency,
        `AllocationRefused` above what is left or above the invoice's open amount; nothing is
        changed then.
        """
        check_allocatable(invoice, self.customer_id, self.currency)
        if self.status is PaymentStatus.REVERSED:
            raise PaymentAlreadyReversed(f"payment {self.id} is reversed")
        check_positive(amount, self.currency, f"the amount allocated to {invoice.number}")
        if amount > self.unallocated:
            raise AllocationRefused(
                f"allocating {amount} {self.currency} exceeds the {self.unallocated} "
                f"{self.currency} the payment has left"
            )
        if amount > invoice.balance:
            raise AllocationRefused(
                f"allocating {amount} {self.currency} exceeds the open amount of "
                f"{invoice.balance} {self.currency} of invoice {invoice.number}"
            )
        invoice.paid_total = money(invoice.paid_total + amount, invoice.currency)
        invoice.status = invoice.settled_status()
        self.allocations.append(allocation)

    def refund(self, amount: Decimal) -> None:
        if amount > self.unallocated:
            raise InsufficientCredit(
                f"refunding {amount} {self.currency} exceeds the {self.unallocated} "
                f"{self.currency} left of payment {self.id}"
            )
        self.refunded_total = money(self.refunded_total + amount, self.currency)

    def reverse(self, reason: str, at: datetime) -> list[Allocation]:
        """Mark the payment reversed; the allocations to take back from their invoices.

        Refused when it is reversed already, or when part of it has been refunded.
        """
        if self.status is PaymentStatus.REVERSED:
            raise PaymentAlreadyReversed(f"payment {self.id} is already reversed")
        if self.refunded_total > 0:
            raise ReversalRefused(
                f"{self.refunded_total} {self.currency} of payment {self.id} has been refunded "
                "to the customer; it cannot be reversed"
            )
        undone = [a for a in self.allocations if a.reversed_at is None]
        self.allocations = [
            Allocation(**{**a.__dict__, "reversed_at": at}) if a.reversed_at is None else a
            for a in self.allocations
        ]
        self.status = PaymentStatus.REVERSED
        self.reversed_at = at
        self.reversal_reason = reason
        return undone


def check_positive(amount: Decimal, currency: str, what: str = "the amount") -> None:
    """Raises `InvalidAllocation` unless `amount` is positive in `currency`'s minor unit."""
    if amount <= 0 or money(amount, currency) != amount:
        raise InvalidAllocation(
            f"{what} must be positive in the minor unit of {currency}", field="amount"
        )


def check_allocatable(invoice: Invoice, customer_id: str, currency: str) -> None:
    if invoice.customer.id != customer_id:
        raise InvalidAllocation(
            f"invoice {invoice.number} belongs to another customer than the payment"
        )
    if invoice.currency != currency:
        raise InvalidAllocation(
            f"invoice {invoice.number} is in {invoice.currency}, the payment in {currency}"
        )


def take_back(invoice: Invoice, amount: Decimal) -> None:
    """Reopen `amount` of `invoice` that a reversed allocation had settled."""
    invoice.paid_total = money(invoice.paid_total - amount, invoice.currency)
    invoice.status = invoice.settled_status()


def oldest_first(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Open invoices in the order an automatic allocation settles them: due date, then issue
    date, then number."""
    return sorted(
        (i for i in invoices if i.status in OPEN_STATUSES and i.balance > 0),
        key=lambda i: (i.due_date, i.issue_date, i.number),
    )


def plan_oldest_first(
    invoices: Sequence[Invoice], available: Decimal
) -> list[tuple[Invoice, Decimal]]:
    """How much of `available` goes to each invoice, oldest due first, each settled in full
    while the money lasts."""
    plan: list[tuple[Invoice, Decimal]] = []
    left = available
    for invoice in oldest_first(invoices):
        if left <= 0:
            break
        amount = min(left, invoice.balance)
        plan.append((invoice, amount))
        left = money(left - amount, invoice.currency)
    return plan


@dataclass(frozen=True)
class RefundPart:
    """How much of a refund came out of one payment's credit."""

    payment_id: str
    amount: Decimal


@dataclass
class Refund:
    """Customer credit paid back to the customer."""

    id: str
    customer_id: str
    currency: str
    amount: Decimal
    paid_at: datetime
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = None
    reason: str | None = None
    parts: list[RefundPart] = field(default_factory=list)
    created_at: datetime | None = None


def draw_credit(
    payments: Sequence[CustomerPayment], amount: Decimal, currency: str
) -> list[tuple[CustomerPayment, Decimal]]:
    """Which payments' credit pays out `amount`, oldest received first.

    Raises `InsufficientCredit` when their credit together is less than `amount`.
    """
    available = credit_of(payments, currency)
    if amount > available:
        raise InsufficientCredit(
            f"{amount} {currency} exceeds the customer's credit of {available} {currency}"
        )
    drawn: list[tuple[CustomerPayment, Decimal]] = []
    left = amount
    for payment in sorted(payments, key=lambda p: (p.received_at, p.id)):
        if left <= 0:
            break
        take = min(left, payment.unallocated)
        if take > 0:
            drawn.append((payment, take))
            left = money(left - take, currency)
    return drawn


def credit_of(payments: Iterable[CustomerPayment], currency: str | None = None) -> Decimal:
    """The payments' credit together, in `currency`'s minor unit (the payments')."""
    return money(sum((p.unallocated for p in payments), ZERO), currency)
