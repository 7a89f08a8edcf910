"""Issuing: an invoice for chosen lines of an order, numbered without gaps in its year.

Which lines and quantities an order's invoices take is decided by its invoicing policy
(`order_invoicing`); this is the one way any of them is issued.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from billing.domain import model
from billing.domain.model import Invoice, UninvoiceableOrder
from billing.service_layer.down_payments import event_of
from billing.service_layer.events import invoice_issued
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import CloudEvent, EventType
from contracts import common as c
from pricing import AmountTooLarge
from servicekit.mapping import copied, copied_or_none

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 200


def check_ids(order: c.OrderSnapshot) -> None:
    for name, value in (
        ("order_id", order.order_id),
        ("number", order.number),
        ("customer.id", order.customer.id),
    ):
        if not value or len(value) > MAX_ID_LENGTH:
            raise UninvoiceableOrder(f"{name} must be 1 to {MAX_ID_LENGTH} characters")


async def issue_for(
    uow: UnitOfWork,
    cause: CloudEvent[Any] | None,
    order: c.OrderSnapshot,
    lines: list[model.InvoiceLine],
    *,
    invoiced_before: Decimal,
    today: date,
    correlation_id: str | None = None,
    period_start: date | None = None,
    invoice_id: str | None = None,
    announce: Mapping[str, Any] | None = None,
) -> Invoice:
    """Issue an invoice of `lines` of the order, dated `today`, and record invoice.issued
    (with the order's gross total and what its invoices add up to with this one), caused by
    `cause` (an event), else by a request (`correlation_id`).

    The invoice gets `invoice_id` (an issued draft's), else a new id; `announce` adds optional
    fields to its event (`kind`, `down_payment_deducted`). Raises
    `UninvoiceableOrder` when the order's identifiers cannot be stored.
    """
    check_ids(order)
    try:
        totals = model.Totals.of(lines, currency=order.currency)
    except AmountTooLarge as exc:
        raise UninvoiceableOrder(str(exc)) from None
    terms = copied(model.PaymentTerms, order.payment_terms)
    sequence = await uow.invoices.next_sequence(today.year)
    invoice = Invoice(
        id=invoice_id or str(uuid.uuid4()),
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
    payload = invoice_issued(invoice).model_copy(
        update={
            "order_total": order.totals.gross,
            "invoiced_total": model.money(invoiced_before + totals.gross, order.currency),
            "period_start": period_start,
            **(announce or {}),
        }
    )
    event = event_of(cause, EventType.INVOICE_ISSUED, payload, invoice.order_id, correlation_id)
    await uow.issue(invoice, event)  # the invoice and its event: one round trip
    log.info("issued invoice %s for order %s", invoice.number, invoice.order_id)
    return invoice
