"""Payments: each one received settles part or all of an invoice's balance."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.domain.model import Invoice, Payment, PaymentMethod
from billing.service_layer.events import SOURCE, payment_received
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import EventType, new_event

log = logging.getLogger(__name__)


class InvoiceNotFound(Exception):
    pass


@dataclass(frozen=True)
class NewPayment:
    amount: Decimal
    received_at: datetime
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER
    reference: str | None = None


async def record_payment(
    uow: UnitOfWork, invoice_id: str, new: NewPayment, *, correlation_id: str | None = None
) -> tuple[Invoice, Payment]:
    """Apply a payment to the invoice, locked until commit so concurrent payments queue.

    Raises `InvoiceNotFound`, or a `PaymentRefused` (paid invoice, amount above the balance)
    after which nothing has changed.
    """
    invoice = await uow.invoices.get(invoice_id, for_update=True)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    payment_id = str(uuid.uuid4())
    payment = Payment(
        id=payment_id,
        payment_id=payment_id,  # a customer payment of its own, allocated wholly to the invoice
        amount=new.amount,
        received_at=new.received_at,
        method=new.method,
        reference=new.reference,
    )
    invoice.receive(payment)
    await uow.invoices.add_payment(invoice, payment)
    await uow.record(
        new_event(
            EventType.PAYMENT_RECEIVED,
            payment_received(invoice, payment),
            source=SOURCE,
            subject=invoice.order_id,
            correlation_id=correlation_id,
        )
    )
    log.info(
        "payment of %s %s on invoice %s: %s, balance %s",
        payment.amount,
        invoice.currency,
        invoice.number,
        invoice.status.value,
        invoice.balance,
    )
    return invoice, payment
