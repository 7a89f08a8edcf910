"""Issuing: a completed order gets its one invoice, numbered without gaps in its year."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

from billing.domain import model
from billing.domain.model import Invoice, UninvoiceableOrder
from billing.service_layer.events import SOURCE, invoice_issued
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import CloudEvent, EventType
from contracts import common as c
from servicekit.mapping import copied, copied_or_none

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 200


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
        [copied(model.StatedLine, line) for line in order.lines],
        _stated_totals(order.totals),
        currency=order.currency,
    )
    terms = copied(model.PaymentTerms, order.payment_terms)
    sequence = await uow.invoices.next_sequence(today.year)
    invoice = Invoice(
        id=str(uuid.uuid4()),
        number=model.invoice_number(today.year, sequence),
        order_id=order.order_id,
        order_number=order.number,
        customer=copied(model.Customer, order.customer),
        billing_address=copied_or_none(model.Address, order.billing_address),
        shipping_address=copied_or_none(model.Address, order.shipping_address),
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


def _stated_totals(totals: c.Totals) -> model.Totals:
    return model.Totals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=tuple(copied(model.TaxAmount, tax) for tax in totals.taxes),
    )
