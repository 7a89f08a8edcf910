"""Webhook deliveries and subscriptions: attempts, giving up, disabling, redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts import EventType
from contracts.topics import ORDERS_EVENTS
from orders.domain.webhooks import WEBHOOK_EVENT_TYPES, Delivery, DeliveryStatus, Subscription
from orders.entrypoints.handlers import HANDLERS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def a_delivery() -> Delivery:
    return Delivery(
        id="d-1",
        subscription_id="s-1",
        event_id="e-1",
        event_type=EventType.ORDER_CREATED.value,
        payload="{}",
        next_attempt_at=NOW,
    )


def test_a_failed_attempt_is_retried_later_then_the_delivery_fails() -> None:
    delivery = a_delivery()
    delivery.failed(NOW, 500, "HTTP 500", 12, max_attempts=2, retry_in=timedelta(seconds=30))
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
    assert (delivery.last_status_code, delivery.last_error, delivery.response_ms) == (
        500,
        "HTTP 500",
        12,
    )

    later = NOW + timedelta(seconds=30)
    delivery.failed(later, None, "timed out", 10_000, max_attempts=2, retry_in=timedelta(0))
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.last_attempt_at == later


def test_a_success_ends_the_delivery_and_redelivery_starts_a_fresh_round() -> None:
    delivery = a_delivery()
    delivery.failed(NOW, 503, "HTTP 503", 5, max_attempts=5, retry_in=timedelta(seconds=1))
    delivery.succeeded(NOW + timedelta(seconds=1), 204, 7)
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_error, delivery.next_attempt_at) == (2, None, None)

    delivery.redeliver(NOW + timedelta(hours=1))
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 0
    assert delivery.next_attempt_at == NOW + timedelta(hours=1)
    assert delivery.message_id == "e-1"  # receivers recognise the same message


def test_a_subscription_is_disabled_after_consecutive_failures_and_enabling_resets_it() -> None:
    subscription = Subscription(id="s-1", url="https://x", event_types=[], secret="whsec_")
    assert not subscription.attempt_failed(disable_after=3)
    subscription.attempt_succeeded()
    assert not subscription.attempt_failed(disable_after=3)
    assert not subscription.attempt_failed(disable_after=3)
    assert subscription.attempt_failed(disable_after=3)  # the third in a row
    assert not subscription.active
    assert subscription.disabled_reason == "3 consecutive failed delivery attempts"
    assert not subscription.attempt_failed(disable_after=3)  # disabled once, not again

    subscription.enable()
    assert subscription.active
    assert (subscription.consecutive_failures, subscription.disabled_reason) == (0, None)


def test_the_webhook_catalogue_is_what_lands_on_order_timelines() -> None:
    ours = {t.value for t in ORDERS_EVENTS.event_types} - {EventType.WEBHOOK_DISABLED.value}
    # Not about an order: a submission becomes one; products and stock levels feed the
    # catalogue view, warehouses the view of warehouses, not a timeline.
    not_about_an_order = {
        EventType.ORDER_SUBMITTED.value,
        EventType.PRODUCT_CHANGED.value,
        EventType.STOCK_LEVEL_CHANGED.value,
        EventType.WAREHOUSE_CHANGED.value,
    }
    consumed = {t.value for t in HANDLERS} - not_about_an_order
    assert set(WEBHOOK_EVENT_TYPES) == ours | consumed


def test_the_webhook_catalogue_has_the_order_facts_but_not_the_inputs() -> None:
    assert EventType.ORDER_CONFIRMED.value in WEBHOOK_EVENT_TYPES
    assert EventType.STOCK_RESERVATION_FAILED.value in WEBHOOK_EVENT_TYPES
    assert EventType.PAYMENT_RECEIVED.value in WEBHOOK_EVENT_TYPES
    assert EventType.ORDER_SUBMITTED.value not in WEBHOOK_EVENT_TYPES
    assert EventType.WEBHOOK_DISABLED.value not in WEBHOOK_EVENT_TYPES
