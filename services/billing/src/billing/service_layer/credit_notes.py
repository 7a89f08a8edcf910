"""Credit notes: issued by accounting against an invoice, or by billing for returned goods.

- `issue_credit_note`: a credit note of chosen quantities of an invoice's lines, or of an
  amount, with a reason; numbered `CN-<year>-…` without gaps. It takes off the invoice's open
  amount; the excess becomes the customer's credit (a customer payment of its own, method
  `other`, its reference the note's number: ADR 10), which can be allocated or refunded.
- `return_received`: inventory's return of shipped goods credits the returned quantities at
  the invoiced prices, one credit note per return and invoice.

Locks: the invoice's row (`FOR UPDATE`) before its credit notes are read, then the year's
counter; two credit notes of one invoice queue, so they never credit more than it has.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from billing.domain.credit_notes import (
    CreditNote,
    CreditNoteLine,
    CreditRefused,
    Returned,
    ReturnRef,
    amount_credit,
    apply_to,
    credit_note_number,
    credit_totals,
    line_credits,
    plan_return,
)
from billing.domain.invoicing_policy import Invoiced
from billing.domain.model import Invoice, PaymentMethod
from billing.domain.payment import CustomerPayment
from billing.service_layer.customer_payments import PaymentsUnitOfWork
from billing.service_layer.events import SOURCE
from contracts import CloudEvent, EventType, new_event
from contracts import events as e

log = logging.getLogger(__name__)


class InvoiceNotFound(Exception):
    pass


@dataclass(frozen=True)
class CreditNoteFilter:
    invoice_id: str | None = None
    order_id: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class CreditNotePosition:
    created_at: datetime
    id: str


class CreditNoteRepository(Protocol):
    async def next_sequence(self, year: int) -> int:
        """The next number of `year` in the credit notes' own series (gapless, locked until
        commit)."""
        ...

    async def add(self, note: CreditNote, invoice: Invoice) -> None:
        """Store the credit note and the invoice's credited totals and status."""
        ...

    async def get(self, credit_note_id: str) -> CreditNote | None: ...

    async def search(
        self, where: CreditNoteFilter, *, limit: int, after: CreditNotePosition | None = None
    ) -> list[CreditNote]:
        """Credit notes newest first."""
        ...

    async def credited_lines(self, invoice_id: str) -> dict[int, Invoiced]:
        """Per invoice line number, what the invoice's credit notes took of it."""
        ...

    async def for_return(self, return_id: str) -> list[CreditNote]:
        """The credit notes issued for a return (one per invoice it credited)."""
        ...

    async def invoice_ids_of_order(self, order_id: str) -> list[str]:
        """The order's invoices, in id order."""
        ...


class CreditNotesUnitOfWork(PaymentsUnitOfWork, Protocol):
    @property
    def credit_notes(self) -> CreditNoteRepository: ...


@dataclass(frozen=True)
class CreditRequest:
    """What to credit: `(invoice line number, quantity)` pairs, or an amount (tax included, at
    `tax_rate`, the invoice's only rate when None)."""

    reason: str
    lines: Sequence[tuple[int, Decimal]] = ()
    amount: Decimal | None = None
    tax_rate: Decimal | None = None


async def issue_credit_note(
    uow: CreditNotesUnitOfWork,
    invoice_id: str,
    request: CreditRequest,
    *,
    today: date,
    correlation_id: str | None = None,
    cause: CloudEvent[Any] | None = None,
    returned: ReturnRef | None = None,
) -> CreditNote:
    """Issue a credit note on the invoice and record credit_note.issued.

    Raises `InvoiceNotFound`, `InvalidCredit` (a line or rate the invoice does not have) or
    `CreditRefused` (more than it has left to credit); nothing is stored then.
    """
    invoice = await uow.invoices.get(invoice_id, for_update=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    credited = await uow.credit_notes.credited_lines(invoice.id)
    lines: list[CreditNoteLine]
    if request.amount is not None:
        lines = [amount_credit(invoice, request.amount, request.tax_rate, request.reason)]
    else:
        lines = line_credits(invoice, credited, request.lines)
    totals = credit_totals(lines, invoice.currency)
    applied = apply_to(invoice, totals.gross)
    sequence = await uow.credit_notes.next_sequence(today.year)
    note = CreditNote(
        id=str(uuid.uuid4()),
        number=credit_note_number(today.year, sequence),
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        customer=invoice.customer,
        billing_address=invoice.billing_address,
        currency=invoice.currency,
        issue_date=today,
        reason=request.reason,
        lines=lines,
        totals=totals,
        applied_amount=applied.to_invoice,
        customer_credit=applied.to_credit,
        returned=returned,
    )
    if applied.to_credit > 0:
        note.credit_payment_id = await _keep_as_credit(uow, note)
    await uow.credit_notes.add(note, invoice)
    payload = credit_note_issued(note, invoice)
    if cause is not None:
        event = cause.caused(
            EventType.CREDIT_NOTE_ISSUED, payload, source=SOURCE, subject=note.order_id
        )
    else:
        event = new_event(
            EventType.CREDIT_NOTE_ISSUED,
            payload,
            source=SOURCE,
            subject=note.order_id,
            correlation_id=correlation_id,
        )
    await uow.record(event)
    log.info(
        "credit note %s of %s %s on invoice %s: %s off its open amount, %s customer credit",
        note.number,
        totals.gross,
        note.currency,
        invoice.number,
        applied.to_invoice,
        applied.to_credit,
    )
    return note


async def _keep_as_credit(uow: CreditNotesUnitOfWork, note: CreditNote) -> str:
    """The customer payment holding what the note credits beyond the invoice's open amount:
    the customer's credit (ADR 10), allocatable and refundable like any."""
    payment = CustomerPayment(
        id=str(uuid.uuid4()),
        customer_id=note.customer.id,
        currency=note.currency,
        amount=note.customer_credit,
        received_at=datetime.now(UTC),
        method=PaymentMethod.OTHER,
        reference=note.number,
    )
    await uow.payments.add(payment)
    return payment.id


async def return_received(
    uow: CreditNotesUnitOfWork, event: CloudEvent[e.ReturnReceived], *, today: date
) -> list[CreditNote]:
    """Credit the returned quantities at the invoiced prices: one credit note per invoice the
    return touches; a return already credited changes nothing.

    Raises `CreditRefused` when more came back than the order's invoices have left to credit
    (the event is dead-lettered with the reason).
    """
    data = event.data
    already = await uow.credit_notes.for_return(data.return_id)
    if already:
        return already
    invoices: list[Invoice] = []
    for invoice_id in await uow.credit_notes.invoice_ids_of_order(data.order_id):
        invoice = await uow.invoices.get(invoice_id, for_update=True)
        if invoice is not None:
            invoices.append(invoice)
    if not invoices:
        raise CreditRefused(f"order {data.order_id} has no invoice to credit the return on")
    credited = {i.id: await uow.credit_notes.credited_lines(i.id) for i in invoices}
    plan = plan_return(
        invoices, credited, [Returned(sku=line.sku, quantity=line.quantity) for line in data.lines]
    )
    reason = f"Return {data.number}: {data.reason}"
    notes: list[CreditNote] = []
    for invoice_id in sorted(plan.per_invoice):
        request = CreditRequest(reason=reason, lines=sorted(plan.per_invoice[invoice_id]))
        notes.append(
            await issue_credit_note(
                uow,
                invoice_id,
                request,
                today=today,
                cause=event,
                returned=ReturnRef(return_id=data.return_id, number=data.number),
            )
        )
    return notes


def credit_note_issued(note: CreditNote, invoice: Invoice) -> e.CreditNoteIssued:
    """The payload announcing `note`: everything the documents service prints, and the
    invoice's state after it (what orders shows)."""
    return e.CreditNoteIssued.model_validate(
        {
            **dataclasses.asdict(note),  # the note's fields of the payload's names
            "credit_note_id": note.id,
            "invoice_status": invoice.status.value,
            "invoice_credited_total": invoice.credited_total,
            "invoice_balance": invoice.balance,
            "return_id": note.returned.return_id if note.returned else None,
            "return_number": note.returned.number if note.returned else None,
        }
    )
