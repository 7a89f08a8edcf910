"""Event handlers: what other services and systems tell us about orders and quotes.

Each event type has one use case; the consumer parses the payload with the model of its type,
so the use case receives a typed event. Each runs inside the consumer's transaction (with the
inbox row). An event about an order this service does not have, or an inbound order that
breaks our rules, can never succeed: it is dead-lettered at once (PermanentError) rather than
retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, get_type_hints

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.errors import InvalidOrder
from orders.service_layer import catalogue, inbound, reactions
from orders.service_layer.orders import OrderNotFound
from orders.service_layer.quotes import QuoteNotFound
from orders.service_layer.unit_of_work import UnitOfWork
from servicekit.consumer import Handler, PermanentError

Payload = TypeVar("Payload", bound=BaseModel)


def handler(
    use_case: Callable[[UnitOfWork, CloudEvent[Payload]], Awaitable[object]],
    *,
    catalogue_required: bool = True,
) -> Callable[[CloudEvent[Payload], AsyncSession], Awaitable[None]]:
    """The consumer's handler running `use_case` on the session's unit of work."""

    async def handle(event: CloudEvent[Payload], session: AsyncSession) -> None:
        try:
            await use_case(SqlUnitOfWork(session, catalogue_required=catalogue_required), event)
        except OrderNotFound as exc:
            raise PermanentError(
                f"{event.type} {event.id} is about order {exc.order_id}, unknown to this service"
            ) from exc
        except QuoteNotFound as exc:
            raise PermanentError(
                f"{event.type} {event.id} is about quote {exc.quote_id}, unknown to this service"
            ) from exc
        except InvalidOrder as exc:
            raise PermanentError(f"{event.type} {event.id} is invalid: {exc}") from exc

    # Named and typed after the use case: the consumer's start-up check sees the payload.
    handle.__qualname__ = handle.__name__ = f"handle_{use_case.__name__}"
    handle.__annotations__["event"] = get_type_hints(use_case)["event"]
    return handle


def handlers_for(*, catalogue_required: bool) -> dict[EventType, Handler]:
    """The use case of every event type this service consumes; inbound orders' lines must name
    catalogue items when `catalogue_required` (ORDERS_CATALOGUE_REQUIRED)."""
    return {
        **HANDLERS,
        EventType.ORDER_SUBMITTED: handler(
            inbound.submit_order, catalogue_required=catalogue_required
        ),
    }


# The use case of every event type this service consumes (with the default settings).
HANDLERS: dict[EventType, Handler] = {
    EventType.ORDER_SUBMITTED: handler(inbound.submit_order),
    EventType.STOCK_RESERVED: handler(reactions.stock_reserved),
    EventType.STOCK_RESERVATION_FAILED: handler(reactions.stock_reservation_failed),
    EventType.STOCK_RELEASED: handler(reactions.stock_released),
    EventType.STOCK_RESERVATION_CHANGED: handler(reactions.stock_reservation_changed),
    EventType.SHIPMENT_DISPATCHED: handler(reactions.shipment_dispatched),
    EventType.SHIPMENT_DELIVERED: handler(reactions.shipment_delivered),
    EventType.RETURN_AUTHORISED: handler(reactions.return_authorised),
    EventType.RETURN_RECEIVED: handler(reactions.return_received),
    EventType.INVOICE_ISSUED: handler(reactions.invoice_issued),
    EventType.PAYMENT_RECEIVED: handler(reactions.payment_received),
    EventType.PAYMENT_REVERSED: handler(reactions.payment_reversed),
    EventType.INVOICE_OVERDUE: handler(reactions.invoice_overdue),
    EventType.CREDIT_NOTE_ISSUED: handler(reactions.credit_note_issued),
    EventType.DUNNING_LEVEL_REACHED: handler(reactions.dunning_level_reached),
    EventType.INVOICE_DRAFTED: handler(reactions.invoice_drafted),
    EventType.INVOICE_DRAFT_UPDATED: handler(reactions.invoice_draft_updated),
    EventType.INVOICE_DRAFT_DISCARDED: handler(reactions.invoice_draft_discarded),
    EventType.DOWN_PAYMENT_DEDUCTED: handler(reactions.down_payment_deducted),
    EventType.RECURRING_SCHEDULE_PAUSED: handler(reactions.recurring_schedule_changed),
    EventType.RECURRING_SCHEDULE_RESUMED: handler(reactions.recurring_schedule_changed),
    EventType.RECURRING_SCHEDULE_ENDED: handler(reactions.recurring_schedule_changed),
    EventType.DOCUMENT_GENERATED: handler(reactions.document_generated),
    EventType.QUOTE_DOCUMENT_GENERATED: handler(reactions.quote_document_generated),
    EventType.DELIVERY_NOTE_GENERATED: handler(reactions.delivery_note_generated),
    EventType.DOCUMENT_EMAILED: handler(reactions.document_emailed),
    EventType.NOTIFICATION_EMAILED: handler(reactions.notification_emailed),
    EventType.EINVOICE_PREPARED: handler(reactions.einvoice_prepared),
    EventType.EINVOICE_GENERATED: handler(reactions.einvoice_generated),
    EventType.PRODUCT_CHANGED: handler(catalogue.product_changed),
    EventType.STOCK_LEVEL_CHANGED: handler(catalogue.stock_level_changed),
    EventType.WAREHOUSE_CHANGED: handler(catalogue.warehouse_changed),
}
