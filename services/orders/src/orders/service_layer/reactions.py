"""What other services report about our orders and quotes: fulfilment (inventory), billing
and documents. Each applies the fact (only forwards) and puts it on the timeline, once.

Fulfilment and billing follow their producer's per-order `sequence`: an event numbered at or
below the last one applied from the same producer (delivered late, or replayed under a new id)
is put on the timeline marked stale and does not move the state back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from contracts import CloudEvent
from contracts.events import (
    CreditNoteIssued,
    DeliveryNoteGenerated,
    DocumentEmailed,
    DocumentGenerated,
    DownPaymentDeducted,
    DunningLevelReached,
    EInvoiceGenerated,
    EInvoicePrepared,
    InvoiceDraftDiscarded,
    InvoiceDrafted,
    InvoiceIssued,
    InvoiceKind,
    InvoiceOverdue,
    NotificationEmailed,
    PaymentReceived,
    PaymentReversed,
    QuoteDocumentGenerated,
    RecurringScheduleChanged,
    ReturnAuthorised,
    ReturnReceived,
    ShipmentDelivered,
    ShipmentDispatched,
    StockReleased,
    StockReservationChanged,
    StockReservationFailed,
    StockReserved,
)
from orders.domain.order import Document, Order
from orders.domain.quote import Quote, QuoteDocument
from orders.domain.totals import plain
from orders.service_layer.events import utcnow
from orders.service_layer.milestones import record_milestones
from orders.service_layer.orders import get_order, record_completed
from orders.service_layer.quotes import get_quote
from orders.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DOCUMENT_LABELS = {
    "order_confirmation": "Order confirmation",
    "invoice": "Invoice",
    "einvoice": "Factur-X e-invoice",
    "delivery_note": "Delivery note",
}
RETURN_OUTCOMES = {"restock": "restocked", "scrap": "scrapped"}


def _document_label(kind: str) -> str:
    return DOCUMENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


async def _apply(
    uow: UnitOfWork,
    event: CloudEvent[Any],
    order_id: str,
    change: Callable[[Order], bool],
    summary: str,
    *,
    lines: bool = False,
    in_sequence: bool = False,
    stale_change: Callable[[Order], bool] | None = None,
) -> Order:
    """Apply one consumed event to its order and put it on the timeline, in one transaction.

    `in_sequence`: the state it drives only moves forwards along its producer's sequence. A
    stale event changes nothing (or only `stale_change`, for facts that add up rather than
    replace, like a shipment's quantities) and is put on the timeline marked stale.
    """
    order = await get_order(uow, order_id, for_update=True)
    fulfilment_before, billing_before = order.fulfilment, order.billing
    fresh = not in_sequence or order.takes_sequence(event.source, event.sequence)
    if fresh:
        changed = change(order)
    else:
        changed = stale_change(order) if stale_change is not None else False
        log.info(
            "%s %s is stale for order %s (sequence %s of %s; %s already applied)",
            event.type,
            event.id,
            order.number,
            event.sequence,
            event.source,
            order.applied_sequences.get(event.source),
        )
        summary = f"Stale, not applied (overtaken by a later event): {summary}"
    if changed:
        order.updated_at = utcnow()
    else:
        log.info("%s %s changes nothing on order %s", event.type, event.id, order.number)
    saving = changed or (in_sequence and fresh and event.sequence is not None)  # or its sequence
    await uow.note_received(
        event,
        order_id=order.id,
        summary=summary,
        stale=not fresh,
        saving=order if saving else None,
        lines=lines and changed,
    )
    if changed:  # backordered, fully shipped, paid: an event of ours (and a webhook type)
        await record_milestones(
            uow,
            order,
            fulfilment_before=fulfilment_before,
            billing_before=billing_before,
            cause=event,
        )
    return order


# --- fulfilment (inventory) ----------------------------------------------------------------------


def _quantities(lines: list[Any]) -> str:
    return ", ".join(f"{line.sku} {plain(line.quantity)}" for line in lines)


async def stock_reservation_changed(
    uow: UnitOfWork, event: CloudEvent[StockReservationChanged]
) -> Order:
    """What inventory holds changed after a revision, or what a revision left waiting arrived."""
    data = event.data
    parts = [
        f"{label} {_quantities(lines)}"
        for label, lines in (
            ("reserved", data.reserved),
            ("released", data.released),
            ("waiting for stock", data.waiting),
        )
        if lines
    ]
    head = f"Revision {data.revision}: " if data.revision is not None else "Waiting stock: "
    summary = head + ("; ".join(parts) or "no change to the reservation")
    summary += "; fully reserved" if data.fully_reserved else "; backordered"
    holds_stock = bool(data.reserved or data.waiting)
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.reservation_changed(
            fully_reserved=data.fully_reserved, holds_stock=holds_stock
        ),
        summary[:500],
        in_sequence=True,
    )


async def stock_reserved(uow: UnitOfWork, event: CloudEvent[StockReserved]) -> Order:
    data = event.data
    if data.lines:
        summary = f"Stock reserved for {len(data.lines)} line(s)"
    else:
        summary = "Nothing to reserve: no line of the order is stocked"
    nothing_to_reserve = not data.lines  # then nothing will be shipped either
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.stock_reserved(nothing_to_reserve=nothing_to_reserve),
        summary,
        in_sequence=True,
    )


async def stock_reservation_failed(
    uow: UnitOfWork, event: CloudEvent[StockReservationFailed]
) -> Order:
    data = event.data
    shortages = ", ".join(
        f"{s.sku} ({plain(s.requested)} requested, {plain(s.available)} available)"
        for s in data.shortages
    )
    summary = f"Stock reservation failed, order backordered: {shortages}"
    return await _apply(
        uow, event, data.order_id, Order.reservation_failed, summary, in_sequence=True
    )


async def stock_released(uow: UnitOfWork, event: CloudEvent[StockReleased]) -> Order:
    """Stock released: after a cancellation, or after closing short, which then completes the
    order with what shipped (order.completed: billing invoices that)."""
    data = event.data
    summary = f"Stock released for {len(data.lines)} line(s)"
    finished: list[bool] = []

    def release(order: Order) -> bool:
        released = order.stock_released()
        if order.finish_close_short():
            finished.append(True)
            return True
        return released

    order = await _apply(uow, event, data.order_id, release, summary, lines=True, in_sequence=True)
    if finished:
        await record_completed(uow, order, correlation_id=event.correlationid, cause=event)
    return order


async def shipment_dispatched(uow: UnitOfWork, event: CloudEvent[ShipmentDispatched]) -> Order:
    data = event.data
    shipped = [(line.sku, line.quantity) for line in data.lines]
    state = "order fully shipped" if data.fully_shipped else "order partially shipped"
    summary = f"Shipment {data.shipment_id} dispatched with {len(data.lines)} line(s): {state}"
    if data.carrier or data.tracking_number:
        summary += f" ({_carriage(data.carrier, data.tracking_number)})"
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.shipment_dispatched(data.shipment_id, shipped, data.fully_shipped),
        summary,
        lines=True,
        in_sequence=True,
        stale_change=lambda order: order.shipment_dispatched(
            data.shipment_id, shipped, data.fully_shipped, stale=True
        ),
    )


def _carriage(carrier: str | None, tracking_number: str | None) -> str:
    return ", ".join(
        part for part in (carrier, tracking_number and f"tracking {tracking_number}") if part
    )


async def shipment_delivered(uow: UnitOfWork, event: CloudEvent[ShipmentDelivered]) -> None:
    """The carrier delivered a shipment: on the order's timeline (it changes no state here)."""
    data = event.data
    order = await get_order(uow, data.order_id)
    summary = f"Shipment {data.shipment_id} delivered on {data.delivered_at.date().isoformat()}"
    if data.carrier or data.tracking_number:
        summary += f" ({_carriage(data.carrier, data.tracking_number)})"
    await uow.note_received(event, order_id=order.id, summary=summary)


async def return_authorised(uow: UnitOfWork, event: CloudEvent[ReturnAuthorised]) -> None:
    """A customer's return was authorised: on the order's timeline (it changes no state here)."""
    data = event.data
    goods = ", ".join(f"{plain(line.quantity)} {line.sku}" for line in data.lines)
    order = await get_order(uow, data.order_id)
    summary = f"Return {data.number} authorised: {goods} ({data.reason})"
    await uow.note_received(event, order_id=order.id, summary=summary)


async def return_received(uow: UnitOfWork, event: CloudEvent[ReturnReceived]) -> Order:
    """The returned goods came back, restocked or scrapped: the order's lines count them as
    returned (each return once) and it is on the order's timeline (billing credits them)."""
    data = event.data
    goods = ", ".join(
        f"{plain(line.quantity)} {line.sku} {RETURN_OUTCOMES[line.disposition.value]}"
        for line in data.lines
    )
    counted = await uow.has_entry(event.type, {"return_id": data.return_id}, order_id=data.order_id)
    returned = [(line.sku, line.quantity) for line in data.lines]
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: not counted and order.goods_returned(returned),
        f"Return {data.number} received: {goods}",
        lines=True,
    )


# --- billing -------------------------------------------------------------------------------------


async def invoice_issued(uow: UnitOfWork, event: CloudEvent[InvoiceIssued]) -> Order:
    data = event.data
    label = "Down-payment invoice" if data.kind is InvoiceKind.DOWN_PAYMENT else "Invoice"
    summary = f"{label} {data.number} issued: {data.totals.gross} {data.currency}"
    if data.down_payment_deducted:
        summary += f" (down payment of {data.down_payment_deducted} deducted)"
    status = data.status.value if data.status is not None else None
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.invoice_issued(status, data.invoiced_total, data.invoice_id),
        summary,
        in_sequence=True,
    )


async def invoice_drafted(uow: UnitOfWork, event: CloudEvent[InvoiceDrafted]) -> Order:
    """On the timeline only: a draft is not an invoice (the billing state does not move)."""
    data = event.data
    summary = f"Draft invoice: {data.totals.gross} {data.currency}"
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


async def invoice_draft_updated(uow: UnitOfWork, event: CloudEvent[InvoiceDrafted]) -> Order:
    data = event.data
    summary = f"Draft invoice changed: {data.totals.gross} {data.currency}"
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


async def invoice_draft_discarded(
    uow: UnitOfWork, event: CloudEvent[InvoiceDraftDiscarded]
) -> Order:
    data = event.data
    summary = "Draft invoice discarded" + (f": {data.reason}" if data.reason else "")
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


async def down_payment_deducted(uow: UnitOfWork, event: CloudEvent[DownPaymentDeducted]) -> Order:
    data = event.data
    summary = (
        f"Down payment of {data.amount} {data.currency} deducted on invoice "
        f"{data.invoice_number}: {data.remaining} {data.currency} left to deduct"
    )
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


async def recurring_schedule_changed(
    uow: UnitOfWork, event: CloudEvent[RecurringScheduleChanged]
) -> Order:
    """On the timeline only: the recurring invoicing was paused, resumed or ended."""
    data = event.data
    summary = f"Recurring invoicing {RECURRING_STATES[data.status.value]}"
    if data.ends_on is not None:
        summary += f" (no period from {data.ends_on.isoformat()})"
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


RECURRING_STATES = {"active": "resumed", "paused": "paused", "ended": "ended"}


async def payment_received(uow: UnitOfWork, event: CloudEvent[PaymentReceived]) -> Order:
    data = event.data
    summary = (
        f"Payment of {data.amount} {data.currency} received for invoice {data.invoice_number}: "
        f"balance {data.balance} {data.currency}"
    )
    status = data.status.value
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.payment_received(status, data.invoice_id),
        summary,
        in_sequence=True,
    )


async def payment_reversed(uow: UnitOfWork, event: CloudEvent[PaymentReversed]) -> Order:
    data = event.data
    summary = (
        f"Payment of {data.amount} {data.currency} reversed on invoice {data.invoice_number} "
        f"({data.reason}): balance {data.balance} {data.currency}"
    )
    status = data.status.value
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.payment_reversed(status, data.invoice_id),
        summary,
        in_sequence=True,
    )


async def credit_note_issued(uow: UnitOfWork, event: CloudEvent[CreditNoteIssued]) -> Order:
    """A credit note on one of the order's invoices: the invoice is `credited` once its credit
    notes add up to its total, `paid` when nothing is owed; the order follows all its invoices."""
    data = event.data
    summary = (
        f"Credit note {data.number} for invoice {data.invoice_number}: {data.totals.gross} "
        f"{data.currency} ({data.reason}); balance {data.invoice_balance} {data.currency}"
    )
    if data.customer_credit > 0:
        summary += f", {data.customer_credit} {data.currency} customer credit"
    status = data.invoice_status.value
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.payment_received(status, data.invoice_id),
        summary,
        in_sequence=True,
    )


async def invoice_overdue(uow: UnitOfWork, event: CloudEvent[InvoiceOverdue]) -> Order:
    data = event.data
    summary = (
        f"Invoice {data.invoice_number} overdue: {data.balance} {data.currency} open, "
        f"due {data.due_date.isoformat()}"
    )
    return await _apply(
        uow,
        event,
        data.order_id,
        lambda order: order.invoice_overdue(data.invoice_id),
        summary,
        in_sequence=True,
    )


async def dunning_level_reached(uow: UnitOfWork, event: CloudEvent[DunningLevelReached]) -> Order:
    """On the timeline only: the billing state stays overdue."""
    data = event.data
    summary = (
        f"Dunning level {data.level} ({data.name}) for invoice {data.invoice_number}: "
        f"{data.balance} {data.currency} open, {data.days_past_due} days past due"
    )
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


# --- documents -----------------------------------------------------------------------------------


async def document_generated(uow: UnitOfWork, event: CloudEvent[DocumentGenerated]) -> Order:
    data = event.data
    kind = data.kind.value
    document = Document(
        document_id=data.document_id,
        kind=kind,
        reference=data.reference,
        download_path=data.download_path,
    )
    summary = f"{_document_label(kind)} PDF generated ({data.reference})"
    return await _apply(
        uow, event, data.order_id, lambda order: order.add_document(document), summary
    )


async def delivery_note_generated(
    uow: UnitOfWork, event: CloudEvent[DeliveryNoteGenerated]
) -> Order:
    """A shipment's delivery note: among the order's documents and on its timeline."""
    data = event.data
    document = Document(
        document_id=data.document_id,
        kind="delivery_note",
        reference=data.reference,
        download_path=data.download_path,
    )
    summary = f"Delivery note PDF generated ({data.reference}, shipment {data.shipment_id})"
    return await _apply(
        uow, event, data.order_id, lambda order: order.add_document(document), summary
    )


async def quote_document_generated(
    uow: UnitOfWork, event: CloudEvent[QuoteDocumentGenerated]
) -> Quote:
    """Remember the quote's PDF (once per document id) and put it on the quote's timeline."""
    data = event.data
    quote = await get_quote(uow, data.quote_id, for_update=True)
    if quote.add_document(QuoteDocument(data.document_id, data.reference, data.download_path)):
        quote.updated_at = utcnow()
        await uow.quotes.save(quote)
    await uow.note_received(
        event, summary=f"Quote PDF generated ({data.reference})", quote_id=quote.id
    )
    return quote


async def notification_emailed(uow: UnitOfWork, event: CloudEvent[NotificationEmailed]) -> None:
    """Put a milestone notification's outcome on the order's timeline (once per e-mail)."""
    data = event.data
    order = await get_order(uow, data.order_id)
    match = {"email_id": data.email_id, "status": data.status.value}
    if await uow.has_entry(event.type, match, order_id=order.id):
        log.info("notification %s (%s) already recorded", data.email_id, data.status.value)
        return
    to = ", ".join(data.to)
    if data.status.value == "sent":
        summary = f"Owner notified by e-mail ({to}): {data.subject}"
    else:
        summary = f"Notification to {to} failed after {data.attempts} attempts: {data.error or ''}"
    await uow.note_received(event, summary=summary.rstrip(": "), order_id=order.id)


async def einvoice_prepared(uow: UnitOfWork, event: CloudEvent[EInvoicePrepared]) -> Order:
    """On the timeline only: billing sent the invoice's CII XML to be embedded in its PDF."""
    data = event.data
    summary = f"E-invoice (EN 16931) requested for {data.invoice_number}"
    return await _apply(uow, event, data.order_id, lambda _order: False, summary)


async def einvoice_generated(uow: UnitOfWork, event: CloudEvent[EInvoiceGenerated]) -> Order:
    """The invoice's Factur-X PDF is one of the order's documents."""
    data = event.data
    document = Document(
        document_id=data.document_id,
        kind="einvoice",
        reference=data.reference,
        download_path=data.download_path,
    )
    summary = f"Factur-X e-invoice generated ({data.reference})"
    return await _apply(
        uow, event, data.order_id, lambda order: order.add_document(document), summary
    )


async def document_emailed(uow: UnitOfWork, event: CloudEvent[DocumentEmailed]) -> None:
    """Put an e-mailed document (or a failed e-mail) on its order's or quote's timeline.

    The same e-mail's outcome reported twice (under another event id) is recorded once.
    """
    data = event.data
    order_id, quote_id, label = None, None, "Document"
    if data.order_id is not None:
        order = await get_order(uow, data.order_id)
        order_id = order.id
        kind = next((d.kind for d in order.documents if d.document_id == data.document_id), None)
        if kind is not None:
            label = _document_label(kind)
    elif data.quote_id is not None:
        quote = await get_quote(uow, data.quote_id)
        quote_id, label = quote.id, f"Quote {quote.number}"
    else:
        log.info("e-mail %s is about no order and no quote: not recorded", data.email_id)
        return
    match = {"email_id": data.email_id, "status": data.status.value}
    if await uow.has_entry(event.type, match, order_id=order_id, quote_id=quote_id):
        log.info("e-mail %s (%s) already recorded", data.email_id, data.status.value)
        return
    to = ", ".join(data.to)
    if data.status.value == "sent":
        summary = f"{label} e-mailed to {to}"
    else:
        summary = f"E-mail to {to} failed after {data.attempts} attempts: {data.error or ''}"
    await uow.note_received(
        event, summary=summary.rstrip(": "), order_id=order_id, quote_id=quote_id
    )
