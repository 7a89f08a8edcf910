"""The consumed event types and their typed use cases are wired together consistently."""

from __future__ import annotations

from types import SimpleNamespace
from typing import get_type_hints

from contracts import PAYLOADS, EventType
from contracts.topics import BILLING_EVENTS, DOCUMENTS_EVENTS, INVENTORY_EVENTS, ORDERS_INBOUND
from orders.bootstrap import subscriptions
from orders.config import OrdersSettings
from orders.entrypoints.handlers import HANDLERS
from servicekit.consumer import check_handler_payload


def test_each_handler_takes_the_payload_of_its_event_type() -> None:
    for event_type, handle in HANDLERS.items():
        check_handler_payload(event_type, handle)  # raises on a wiring slip
        annotation = get_type_hints(handle)["event"]
        assert annotation.__pydantic_generic_metadata__["args"] == (PAYLOADS[event_type],)


def test_every_event_about_orders_is_subscribed_to_once() -> None:
    runtime = SimpleNamespace(settings=OrdersSettings())
    subscribed = [t for s in subscriptions(runtime) for t in s.handlers]  # type: ignore[arg-type]
    assert sorted(subscribed) == sorted(HANDLERS)
    topics = (ORDERS_INBOUND, INVENTORY_EVENTS, BILLING_EVENTS, DOCUMENTS_EVENTS)
    consumed = {t for topic in topics for t in topic.event_types}
    # About a SKU, a customer (refunds, statements), a purchase order or a transfer, not a
    # sales order.
    assert consumed - set(HANDLERS) == {
        EventType.STOCK_ADJUSTED,
        EventType.STOCK_LOW,
        EventType.TRANSFER_DISPATCHED,
        EventType.TRANSFER_RECEIVED,
        EventType.REFUND_PAID,
        EventType.PURCHASE_ORDER_SENT,
        EventType.PURCHASE_ORDER_CANCELLED,
        EventType.GOODS_RECEIVED,
        EventType.STATEMENT_PREPARED,
        EventType.STATEMENT_DOCUMENT_GENERATED,
        EventType.PURCHASE_ORDER_DOCUMENT_GENERATED,
    }
