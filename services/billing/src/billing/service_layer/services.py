"""Use cases: issue the invoice of a completed order, record a payment.

Each changes state and writes the events it causes through the same unit of work, so both
commit in the caller's one transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billing.domain import model
from billing.domain.model import Invoice, Payment, PaymentMethod, UninvoiceableOrder
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import CloudEvent, EventType, new_event
from contracts import common as c
from contracts import events as e

log = logging.getLogger(__name__)

SOURCE = "/billing"
MAX_ID_LENGTH = 200


class InvoiceNotFound(Exception):
    pass


# --- issuing ------------------------------------------------------------------------------------


async def issue_invoice(
    uow: UnitOfWork, cause: CloudEvent[Any], order: c.OrderSnapshot, *, today: date
) -> Invoice | None:
    """Issue the one invoice of a completed order, dated `today`; None if it already has one.

    Raises `UninvoiceableOrder` when the order's amounts do not add up (nothing is stored).
    """
    existing = await uow.invoices.for_order(order.order_id)
    if existing is not None:
        log.info(
            "order %s already has invoice %s: nothing to issue", order.order_id, existing.number
        )
        return None
    for name, value in (
        ("order_id", order.order_id),
        ("number", order.number),
        ("customer.id", order.customer.id),
    ):
        if not value or len(value) > MAX_ID_LENGTH:
            raise UninvoiceableOrder(f"{name} must be 1 to {MAX_ID_LENGTH} characters")
    lines, totals = model.reconcile(
        [_stated_line(line) for line in order.lines], _stated_totals(order.totals)
    )
    terms = model.PaymentTerms(days=order.payment_terms.days, text=order.payment_terms.text)
    sequence = await uow.invoices.next_sequence(today.year)
    invoice = Invoice(
        id=str(uuid.uuid4()),
        number=model.invoice_number(today.year, sequence),
        order_id=order.order_id,
        order_number=order.number,
        customer=model.Customer(
            id=order.customer.id, name=order.customer.name, email=order.customer.email
        ),
        billing_address=_address(order.billing_address),
        shipping_address=_address(order.shipping_address),
        currency=order.currency,
        issue_date=today,
        due_date=terms.due_date(today),
        payment_terms=terms,
        customer_reference=order.customer_reference,
        opening_text=order.opening_text,
        closing_text=order.closing_text,
        lines=lines,
        totals=totals,
    )
    await uow.invoices.add(invoice)
    await uow.record(
        cause.caused(
            EventType.INVOICE_ISSUED,
            invoice_issued(invoice),
            source=SOURCE,
            subject=invoice.order_id,
        )
    )
    log.info("issued invoice %s for order %s", invoice.number, invoice.order_id)
    return invoice


def _stated_line(line: c.OrderLine) -> model.StatedLine:
    return model.StatedLine(
        line_no=line.line_no,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
        net_amount=line.net_amount,
        tax_amount=line.tax_amount,
        gross_amount=line.gross_amount,
    )


def _stated_totals(totals: c.Totals) -> model.Totals:
    return model.Totals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=tuple(
            model.TaxAmount(rate=tax.rate, base=tax.base, amount=tax.amount) for tax in totals.taxes
        ),
    )


def _address(address: c.Address | None) -> model.Address | None:
    if address is None:
        return None
    return model.Address(
        name=address.name,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region,
        country=address.country,
    )


def _address_payload(address: model.Address | None) -> c.Address | None:
    if address is None:
        return None
    return c.Address(
        name=address.name,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region,
        country=address.country,
    )


def invoice_issued(invoice: Invoice) -> e.InvoiceIssued:
    """The payload announcing `invoice`: everything the documents service prints."""
    return e.InvoiceIssued(
        invoice_id=invoice.id,
        number=invoice.number,
        order_id=invoice.order_id,
        order_number=invoice.order_number,
        customer=c.CustomerRef(
            id=invoice.customer.id, name=invoice.customer.name, email=invoice.customer.email
        ),
        billing_address=_address_payload(invoice.billing_address),
        shipping_address=_address_payload(invoice.shipping_address),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        payment_terms=c.PaymentTerms(
            days=invoice.payment_terms.days, text=invoice.payment_terms.text
        ),
        customer_reference=invoice.customer_reference,
        opening_text=invoice.opening_text,
        closing_text=invoice.closing_text,
        lines=[
            e.InvoiceLine(
                line_no=line.line_no,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                tax_rate=line.tax_rate,
                net_amount=line.net_amount,
                tax_amount=line.tax_amount,
                gross_amount=line.gross_amount,
            )
            for line in invoice.lines
        ],
        totals=c.Totals(
            net=invoice.totals.net,
            tax=invoice.totals.tax,
            gross=invoice.totals.gross,
            taxes=[
                c.TaxLine(rate=tax.rate, base=tax.base, amount=tax.amount)
                for tax in invoice.totals.taxes
            ],
        ),
    )


# --- payments -----------------------------------------------------------------------------------


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
    payment = Payment(
        id=str(uuid.uuid4()),
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
