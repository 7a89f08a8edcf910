"""Issuing: a completed order gets its one invoice, numbered without gaps in its year."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from billing.domain import model
from billing.domain.model import Invoice, UninvoiceableOrder
from billing.service_layer.events import SOURCE, invoice_issued
from billing.service_layer.unit_of_work import UnitOfWork
from contracts import CloudEvent, EventType
from contracts import common as c

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)
Value = TypeVar("Value", bound="DataclassInstance")

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
        [_copied(model.StatedLine, line) for line in order.lines], _stated_totals(order.totals)
    )
    terms = _copied(model.PaymentTerms, order.payment_terms)
    sequence = await uow.invoices.next_sequence(today.year)
    invoice = Invoice(
        id=str(uuid.uuid4()),
        number=model.invoice_number(today.year, sequence),
        order_id=order.order_id,
        order_number=order.number,
        customer=_copied(model.Customer, order.customer),
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


def _stated_totals(totals: c.Totals) -> model.Totals:
    return model.Totals(
        net=totals.net,
        tax=totals.tax,
        gross=totals.gross,
        taxes=tuple(_copied(model.TaxAmount, tax) for tax in totals.taxes),
    )


def _address(address: c.Address | None) -> model.Address | None:
    return None if address is None else _copied(model.Address, address)


def _copied(kind: type[Value], source: object) -> Value:
    """A domain value whose every field is the attribute of that name on `source` (a payload)."""
    return kind(**{field.name: getattr(source, field.name) for field in dataclasses.fields(kind)})
