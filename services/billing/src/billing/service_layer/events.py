"""The events billing publishes: their source and their payloads, built from the invoice."""

from __future__ import annotations

import dataclasses

from billing.domain.model import Invoice, Payment
from contracts import events as e

SOURCE = "/billing"


def invoice_issued(invoice: Invoice) -> e.InvoiceIssued:
    """The payload announcing `invoice`: everything the documents service prints.

    The payload's fields have the invoice's names (but `invoice_id`); the rest is left out.
    """
    return e.InvoiceIssued.model_validate({**dataclasses.asdict(invoice), "invoice_id": invoice.id})


def payment_received(invoice: Invoice, payment: Payment) -> e.PaymentReceived:
    return e.PaymentReceived(
        payment_id=payment.id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        amount=payment.amount,
        currency=invoice.currency,
        paid_total=invoice.paid_total,
        balance=invoice.balance,
        status=e.InvoiceStatus(invoice.status.value),
        received_at=payment.received_at,
    )
