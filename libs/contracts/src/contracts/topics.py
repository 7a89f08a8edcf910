"""The topic catalogue: every topic of the suite, its partitions, its key and its event types."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.events import EventType


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str
    event_types: tuple[EventType, ...]
    description: str
    dead_letter: bool = field(default=True, metadata={"doc": "has a <name>.dlq twin"})

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"


ORDERS_INBOUND = Topic(
    name="orders.inbound",
    partitions=6,
    key="the sender's external reference",
    event_types=(EventType.ORDER_SUBMITTED,),
    description="Orders submitted by other systems (shops, ERPs)",
)
ORDERS_EVENTS = Topic(
    name="orders.events",
    partitions=6,
    key="order id (quote id for quotes, customer id for customers)",
    event_types=(
        EventType.ORDER_CREATED,
        EventType.ORDER_CONFIRMED,
        EventType.ORDER_CANCELLED,
        EventType.ORDER_COMPLETED,
        EventType.ORDER_CLOSED_SHORT,
        EventType.ORDER_STAGE_CHANGED,
        EventType.ORDER_REVISED,
        EventType.QUOTE_SENT,
        EventType.QUOTE_ACCEPTED,
        EventType.QUOTE_REJECTED,
        EventType.QUOTE_CONVERTED,
        EventType.WEBHOOK_DISABLED,
        EventType.ORDER_BACKORDERED,
        EventType.ORDER_SHIPPED,
        EventType.ORDER_PAID,
        EventType.ORDER_OVERDUE,
        EventType.CUSTOMER_CHANGED,
    ),
    description="What happened to sales orders, quotes and customers",
)
INVENTORY_EVENTS = Topic(
    name="inventory.events",
    partitions=6,
    key=(
        "order id (sku for adjustments, levels and products; purchase order id for purchasing; "
        "transfer id for transfers)"
    ),
    event_types=(
        EventType.STOCK_RESERVED,
        EventType.STOCK_RESERVATION_FAILED,
        EventType.STOCK_RELEASED,
        EventType.STOCK_RESERVATION_CHANGED,
        EventType.SHIPMENT_DISPATCHED,
        EventType.SHIPMENT_DELIVERED,
        EventType.STOCK_ADJUSTED,
        EventType.PURCHASE_ORDER_SENT,
        EventType.PURCHASE_ORDER_CANCELLED,
        EventType.GOODS_RECEIVED,
        EventType.RETURN_AUTHORISED,
        EventType.RETURN_RECEIVED,
        EventType.PRODUCT_CHANGED,
        EventType.STOCK_LEVEL_CHANGED,
        EventType.STOCK_LOW,
        EventType.TRANSFER_DISPATCHED,
        EventType.TRANSFER_RECEIVED,
        EventType.WAREHOUSE_CHANGED,
    ),
    description=(
        "Reservations, shipments, stock movements and levels, the catalogue, warehouses, "
        "purchase orders, receipts and returns"
    ),
)
BILLING_EVENTS = Topic(
    name="billing.events",
    partitions=6,
    key="order id (customer id for refunds and statements)",
    event_types=(
        EventType.INVOICE_ISSUED,
        EventType.PAYMENT_RECEIVED,
        EventType.PAYMENT_REVERSED,
        EventType.REFUND_PAID,
        EventType.INVOICE_OVERDUE,
        EventType.DUNNING_LEVEL_REACHED,
        EventType.INVOICE_DRAFTED,
        EventType.INVOICE_DRAFT_UPDATED,
        EventType.INVOICE_DRAFT_DISCARDED,
        EventType.DOWN_PAYMENT_DEDUCTED,
        EventType.RECURRING_SCHEDULE_PAUSED,
        EventType.RECURRING_SCHEDULE_RESUMED,
        EventType.RECURRING_SCHEDULE_ENDED,
        EventType.CREDIT_NOTE_ISSUED,
        EventType.STATEMENT_PREPARED,
        EventType.EINVOICE_PREPARED,
    ),
    description=(
        "Invoices, credit notes, payments, reversals, refunds, overdue invoices, dunning, "
        "customer statements and e-invoices prepared for printing"
    ),
)
DOCUMENTS_EVENTS = Topic(
    name="documents.events",
    partitions=6,
    key="order id (customer id for statements)",
    event_types=(
        EventType.DOCUMENT_GENERATED,
        EventType.QUOTE_DOCUMENT_GENERATED,
        EventType.DOCUMENT_EMAILED,
        EventType.NOTIFICATION_EMAILED,
        EventType.STATEMENT_DOCUMENT_GENERATED,
        EventType.EINVOICE_GENERATED,
        EventType.PURCHASE_ORDER_DOCUMENT_GENERATED,
        EventType.DELIVERY_NOTE_GENERATED,
    ),
    description="Rendered and stored documents, e-mails sent",
)

CATALOGUE: tuple[Topic, ...] = (
    ORDERS_INBOUND,
    ORDERS_EVENTS,
    INVENTORY_EVENTS,
    BILLING_EVENTS,
    DOCUMENTS_EVENTS,
)


def topic_of(event_type: EventType) -> Topic:
    """The topic an event type is published on."""
    for topic in CATALOGUE:
        if event_type in topic.event_types:
            return topic
    raise KeyError(event_type)
