"""Webhook deliveries and subscriptions: attempts, giving up, disabling, redelivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import CloudEvent, EventType
from contracts.topics import ORDERS_EVENTS
from orders.domain.webhooks import WEBHOOK_EVENT_TYPES, Delivery, DeliveryStatus, Subscription
from orders.entrypoints.handlers import HANDLERS
from orders.service_layer.webhooks import DueDelivery, RetryRules, record_attempts
from servicekit.webhooks import Attempt

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


RULES = RetryRules(
    max_attempts=5, disable_after_failures=3, retry_delay=lambda n: timedelta(seconds=10 * n)
)
DELIVERED = Attempt(delivered=True, status_code=204, error=None, response_ms=3)
REFUSED = Attempt(delivered=False, status_code=500, error="HTTP 500", response_ms=4)


class FakeWebhooks:
    """Deliveries and subscriptions in memory, with what the use case asked of them."""

    def __init__(self, subscriptions: list[Subscription], deliveries: list[Delivery]) -> None:
        self.subscriptions = {s.id: s for s in subscriptions}
        self.rows = {d.id: d for d in deliveries}
        self.locked: list[tuple[str, list[str]]] = []
        self.saved_together: list[list[str]] = []
        self.saved_subscriptions: list[str] = []

    async def deliveries_locked(self, delivery_ids: Sequence[str]) -> dict[str, Delivery]:
        self.locked.append(("deliveries", list(delivery_ids)))
        return {i: replace(self.rows[i]) for i in sorted(delivery_ids) if i in self.rows}

    async def subscriptions_locked(
        self, subscription_ids: Sequence[str]
    ) -> dict[str, Subscription]:
        self.locked.append(("subscriptions", list(subscription_ids)))
        wanted = sorted(set(subscription_ids))
        return {i: replace(self.subscriptions[i]) for i in wanted if i in self.subscriptions}

    async def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        self.saved_together.append([d.id for d in deliveries])
        self.rows.update((d.id, replace(d)) for d in deliveries)

    async def save(self, subscription: Subscription) -> None:
        self.saved_subscriptions.append(subscription.id)
        self.subscriptions[subscription.id] = replace(subscription)


class FakeWebhookUnitOfWork:
    def __init__(self, webhooks: FakeWebhooks) -> None:
        self.webhooks = webhooks
        self.outbox: list[CloudEvent[Any]] = []

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        self.outbox.append(event)


def subscription(subscription_id: str, failures: int = 0) -> Subscription:
    return Subscription(
        id=subscription_id,
        url=f"https://hooks.example.com/{subscription_id}",
        event_types=[EventType.ORDER_CREATED.value],
        secret="whsec_",
        consecutive_failures=failures,
    )


def pending(delivery_id: str, subscription_id: str) -> Delivery:
    return replace(a_delivery(), id=delivery_id, subscription_id=subscription_id)


def due(delivery: Delivery) -> DueDelivery:
    return DueDelivery(replace(delivery), url="https://hooks.example.com/x", secret="whsec_")


async def test_outcomes_known_together_are_saved_together_a_subscription_if_changed() -> None:
    one, two, three = pending("d-1", "s-1"), pending("d-2", "s-1"), pending("d-3", "s-2")
    webhooks = FakeWebhooks(
        [subscription("s-1"), subscription("s-2", failures=2)], [one, two, three]
    )
    uow = FakeWebhookUnitOfWork(webhooks)

    recorded = await record_attempts(
        uow,
        [(due(three), DELIVERED), (due(one), DELIVERED), (due(two), DELIVERED)],
        now=NOW,
        rules=RULES,
    )

    assert [d.id for d in recorded] == ["d-3", "d-1", "d-2"]
    assert webhooks.locked == [
        ("deliveries", ["d-3", "d-1", "d-2"]),
        ("subscriptions", ["s-2", "s-1", "s-1"]),
    ]
    assert webhooks.saved_together == [["d-3", "d-1", "d-2"]]
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in webhooks.rows.values())
    assert {d.delivered_at for d in webhooks.rows.values()} == {NOW}
    # s-1 had no failures to forget: not written again; s-2's two are forgotten.
    assert webhooks.saved_subscriptions == ["s-2"]
    assert webhooks.subscriptions["s-2"].consecutive_failures == 0
    assert uow.outbox == []


async def test_failures_count_in_the_order_given_and_the_one_that_disables_is_announced() -> None:
    deliveries = [pending(f"d-{n}", "s-1") for n in range(1, 5)]
    webhooks = FakeWebhooks([subscription("s-1", failures=1)], deliveries)
    uow = FakeWebhookUnitOfWork(webhooks)

    # A success between two failures starts the count again: 1, 0, 1, 2.
    outcomes = [REFUSED, DELIVERED, REFUSED, REFUSED]
    await record_attempts(
        uow, [(due(d), a) for d, a in zip(deliveries, outcomes, strict=True)], now=NOW, rules=RULES
    )
    assert webhooks.subscriptions["s-1"].consecutive_failures == 2
    assert webhooks.subscriptions["s-1"].active
    assert webhooks.saved_subscriptions == ["s-1"]

    again = [pending(f"d-{n}", "s-1") for n in range(5, 7)]
    webhooks.rows.update((d.id, d) for d in again)
    await record_attempts(uow, [(due(d), REFUSED) for d in again], now=NOW, rules=RULES)
    disabled = webhooks.subscriptions["s-1"]
    assert (disabled.active, disabled.consecutive_failures) == (False, 4)
    [announced] = uow.outbox
    assert announced.type == EventType.WEBHOOK_DISABLED.value
    assert announced.data.consecutive_failures == 3  # the attempt that disabled it
    failed = webhooks.rows["d-5"]
    assert (failed.status, failed.attempts, failed.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "HTTP 500",
    )
    assert failed.next_attempt_at == NOW + timedelta(seconds=10)


async def test_a_delivery_gone_or_no_longer_pending_is_left_as_it_is() -> None:
    redelivered_meanwhile = replace(pending("d-2", "s-1"), status=DeliveryStatus.SUCCEEDED)
    webhooks = FakeWebhooks([subscription("s-1")], [pending("d-1", "s-1"), redelivered_meanwhile])
    uow = FakeWebhookUnitOfWork(webhooks)
    gone = pending("d-9", "s-1")

    recorded = await record_attempts(
        uow,
        [
            (due(gone), REFUSED),
            (due(redelivered_meanwhile), REFUSED),
            (due(pending("d-1", "s-1")), DELIVERED),
        ],
        now=NOW,
        rules=RULES,
    )

    assert [d.id for d in recorded] == ["d-1"]
    assert webhooks.saved_together == [["d-1"]]
    assert webhooks.rows["d-2"].status is DeliveryStatus.SUCCEEDED
    assert webhooks.saved_subscriptions == []  # the refusals of the others did not count
