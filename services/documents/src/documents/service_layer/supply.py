"""Purchase orders and delivery notes: what they print, and what happens around them.

- `suite.purchase_order.sent.v1` carries everything the purchase order's PDF needs. It is
  printed in the default template (the built-in look without one) and, the first time it is
  stored, e-mailed to the vendor through the e-mail outbox in the same transaction.
- `suite.shipment.dispatched.v1` names the order, the shipment and the SKUs with their
  quantities only. The order's number, customer, ship-to address and line descriptions come
  from the order as its last confirmation described it: this service keeps that snapshot from
  `suite.order.confirmed.v1` (forwards only along the per-order sequence). A shipment of an
  order whose confirmation has not arrived yet is retried, then dead-lettered (replayable).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from contracts.common import OrderSnapshot
from contracts.events import PurchaseOrderSent, ShipmentDispatched
from documents.domain.emails import Email
from documents.domain.labels import labels_for
from documents.domain.model import (
    Customer,
    Document,
    DocumentKind,
    PaymentTerms,
    PostalAddress,
    PrintableDocument,
    PrintLine,
    PrintTotals,
)
from documents.domain.supply import SupplyDetails, supply_labels
from documents.domain.templates import Look
from documents.service_layer.mailing import EmailRequest, queue_email
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.mapping import copied_or_none

log = logging.getLogger(__name__)

ZERO = Decimal(0)


class OrderNotKnownYet(LookupError):
    """No confirmation of the shipment's order has arrived (yet): retried, then dead-lettered."""


def delivery_note_number(order_number: str, shipment_id: str) -> str:
    """The delivery note's number: the order's number and the first eight characters of the
    shipment id (`DN-SO-2026-000001-1a2b3c4d`), short enough to print. Two shipments of one
    order sharing those eight characters (about one chance in four billion) would share a
    delivery note, the later one replacing the earlier."""
    return f"DN-{order_number}-{shipment_id[:8]}"


def purchase_order(sent: PurchaseOrderSent, sent_on: date, look: Look | None) -> PrintableDocument:
    """The purchase order's PDF content, from `suite.purchase_order.sent.v1`."""
    words = supply_labels(labels_for(look.language if look else None).language)
    lines = []
    for line_no, line in enumerate(sent.lines, start=1):
        notes = []
        if line.vendor_sku:
            notes.append(words.vendor_sku.format(code=line.vendor_sku))
        if line.expected_date and line.expected_date != sent.expected_date:
            notes.append(words.expected.format(date=line.expected_date.isoformat()))
        description = "\n".join([line.description or line.sku, *notes])
        priced = PrintLine.priced(
            line_no=line_no,
            sku=line.sku,
            description=description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=ZERO,
            tax_rate=ZERO,
            currency=sent.currency,
        )
        lines.append(priced)
    return PrintableDocument(
        kind=DocumentKind.PURCHASE_ORDER,
        number=sent.number,
        subject_id=sent.purchase_order_id,
        currency=sent.currency,
        customer=Customer(
            name=sent.vendor_name,
            email=sent.vendor_email,
            contact=sent.vendor_contact,
            billing_address=copied_or_none(PostalAddress, sent.vendor_address),
        ),
        document_date=sent_on,
        payment_terms=PaymentTerms(days=sent.payment_terms_days or 0),
        lines=tuple(lines),
        totals=PrintTotals(net=sent.total, tax=ZERO, gross=sent.total),
        description=sent.notes,
        look=look,
        supply=SupplyDetails(warehouse=sent.warehouse, expected_date=sent.expected_date),
    )


def delivery_note(
    order: OrderSnapshot, shipped: ShipmentDispatched, look: Look | None
) -> PrintableDocument:
    """The delivery note of one shipment: the shipped SKUs and quantities with the order's line
    descriptions, to the order's ship-to address. Prices are left at zero and never printed."""
    descriptions = _descriptions(order)
    lines = tuple(
        PrintLine.priced(
            line_no=line_no,
            sku=line.sku,
            description=descriptions.get(line.sku, line.sku),
            quantity=line.quantity,
            unit_price=ZERO,
            discount_percent=ZERO,
            tax_rate=ZERO,
        )
        for line_no, line in enumerate(shipped.lines, start=1)
    )
    shipping_address = order.shipping_address or order.billing_address
    return PrintableDocument(
        kind=DocumentKind.DELIVERY_NOTE,
        number=delivery_note_number(order.number, shipped.shipment_id),
        subject_id=order.order_id,
        currency=order.currency,
        customer=Customer(
            name=order.customer.name,
            contact=order.contact,
            shipping_address=copied_or_none(PostalAddress, shipping_address),
        ),
        document_date=shipped.shipping_date or order.order_date,
        payment_terms=PaymentTerms(days=0),
        lines=lines,
        totals=PrintTotals(net=ZERO, tax=ZERO, gross=ZERO),
        customer_reference=order.customer_reference,
        template_id=order.template_id,
        look=look,
        supply=SupplyDetails(
            order_number=order.number,
            warehouse=shipped.warehouse,
            shipment_id=shipped.shipment_id,
            shipping_date=shipped.shipping_date,
            carrier=shipped.carrier,
            tracking_number=shipped.tracking_number,
        ),
    )


async def keep_order(uow: UnitOfWork, order: OrderSnapshot, sequence: int | None) -> None:
    """Keep the order as confirmed, for the delivery notes of its shipments."""
    if not await uow.order_snapshots.keep(order, sequence):
        log.info("order %s: a later snapshot is kept already", order.order_id)


async def order_of_shipment(uow: UnitOfWork, shipped: ShipmentDispatched) -> OrderSnapshot:
    order = await uow.order_snapshots.get(shipped.order_id)
    if order is None:
        raise OrderNotKnownYet(
            f"shipment {shipped.shipment_id}: order {shipped.order_id} has not been confirmed "
            "here (yet)"
        )
    return order


def vendor_message(sent: PurchaseOrderSent) -> str:
    """The text of the e-mail that carries a purchase order to its vendor."""
    greeting = f"Dear {sent.vendor_contact}," if sent.vendor_contact else "Hello,"
    when = f" by {sent.expected_date.isoformat()}" if sent.expected_date else ""
    return (
        f"{greeting}\n\n"
        f"please find attached our purchase order {sent.number} "
        f"({len(sent.lines)} line(s), {sent.total} {sent.currency}), "
        f"to be delivered to our warehouse {sent.warehouse}{when}.\n"
        "Please confirm the order and its delivery dates, quoting its number."
    )


async def mail_to_vendor(
    uow: UnitOfWork,
    document: Document,
    sent: PurchaseOrderSent,
    *,
    requested_by: str | None,
    correlation_id: str | None,
) -> Email | None:
    """Queue the purchase order's PDF to the vendor; None when the vendor has no address."""
    if not sent.vendor_email:
        log.warning("purchase order %s: vendor has no e-mail address, not sent", sent.number)
        return None
    return await queue_email(
        uow,
        document.id,
        EmailRequest(
            to=[sent.vendor_email],
            subject=document.title,
            message=vendor_message(sent),
        ),
        requested_by=requested_by,
        correlation_id=correlation_id,
    )


def _descriptions(order: OrderSnapshot) -> dict[str, str]:
    """The description of each SKU as the order's first line of it has it."""
    found: dict[str, str] = {}
    for line in sorted(order.lines, key=lambda line: line.line_no):
        found.setdefault(line.sku, line.description)
    return found
