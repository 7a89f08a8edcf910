"""The composition root of the orders service."""

from collections.abc import Sequence

from contracts import EventType
from contracts.topics import (
    BILLING_EVENTS,
    DOCUMENTS_EVENTS,
    INVENTORY_EVENTS,
    ORDERS_EVENTS,
    ORDERS_INBOUND,
)
from orders import __version__
from orders.adapters.tables import metadata
from orders.config import OrdersSettings
from orders.entrypoints import handlers
from orders.entrypoints.http import router
from servicekit.runtime import Runtime, ServiceSpec, Subscription


def subscriptions(_: Runtime) -> Sequence[Subscription]:
    """Inbound orders, and every fact other services report about our orders.

    stock.adjusted is about a SKU, not an order: not consumed.
    """
    return [
        Subscription(
            topic=ORDERS_INBOUND,
            handlers={EventType.ORDER_SUBMITTED: handlers.handle_order_submitted},
        ),
        Subscription(
            topic=INVENTORY_EVENTS,
            handlers={
                EventType.STOCK_RESERVED: handlers.handle_stock_reserved,
                EventType.STOCK_RESERVATION_FAILED: handlers.handle_stock_reservation_failed,
                EventType.STOCK_RELEASED: handlers.handle_stock_released,
                EventType.SHIPMENT_DISPATCHED: handlers.handle_shipment_dispatched,
            },
        ),
        Subscription(
            topic=BILLING_EVENTS,
            handlers={
                EventType.INVOICE_ISSUED: handlers.handle_invoice_issued,
                EventType.PAYMENT_RECEIVED: handlers.handle_payment_received,
            },
        ),
        Subscription(
            topic=DOCUMENTS_EVENTS,
            handlers={
                EventType.DOCUMENT_GENERATED: handlers.handle_document_generated,
                EventType.QUOTE_DOCUMENT_GENERATED: handlers.handle_quote_document_generated,
                EventType.DOCUMENT_EMAILED: handlers.handle_document_emailed,
            },
        ),
    ]


def build_spec(settings: OrdersSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="orders",
        title="Orders service",
        description=(
            "Customers, quotes and sales orders: status, stage and approval, fulfilment and "
            "billing state, and the per-order timeline."
        ),
        version=__version__,
        metadata=metadata,
        settings=settings or OrdersSettings(),
        routers=[router],
        subscriptions=subscriptions,
        publishes=[ORDERS_EVENTS],
    )
