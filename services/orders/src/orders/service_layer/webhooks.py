"""Use cases of webhooks: managing subscriptions, redelivering, and recording attempts.

The target URL is checked by a port (`TargetCheck`: scheme, and the addresses its host
resolves to) when a subscription is created or its URL changed; the dispatcher checks it again
before every attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from contracts import CloudEvent, EventType, new_event
from contracts.events import WebhookDisabled
from orders.domain.webhooks import (
    WEBHOOK_EVENT_TYPES,
    Delivery,
    DeliveryStatus,
    Subscription,
    new_id,
)
from orders.service_layer.events import SOURCE
from servicekit.webhooks import WEBHOOK_SUBSCRIPTIONS_DISABLED, Attempt

TargetCheck = Callable[[str], Awaitable[None]]
"""Raises ValueError naming the reason when a URL may not be a target."""


class SubscriptionNotFound(Exception):
    pass


class DeliveryNotFound(Exception):
    pass


class InvalidSubscription(ValueError):
    """`field` of the request names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what its attempt needs from the subscription."""

    delivery: Delivery
    url: str
    secret: str


@dataclass(frozen=True)
class RetryRules:
    max_attempts: int
    disable_after_failures: int
    retry_delay: Callable[[int], timedelta]  # after the n-th failed attempt


class WebhookRepository(Protocol):
    async def add(self, subscription: Subscription) -> None: ...

    async def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None: ...

    async def save(self, subscription: Subscription) -> None: ...

    async def remove(self, subscription_id: str) -> bool: ...

    async def delivery(
        self, subscription_id: str, delivery_id: str, *, lock: bool = False
    ) -> Delivery | None: ...

    async def save_delivery(self, delivery: Delivery) -> None: ...

    async def deliveries_locked(self, delivery_ids: Sequence[str]) -> dict[str, Delivery]:
        """The deliveries of these ids that exist, by id, locked in the order of their ids."""
        ...

    async def subscriptions_locked(
        self, subscription_ids: Sequence[str]
    ) -> dict[str, Subscription]:
        """The subscriptions of these ids that exist, by id, locked in the order of their ids."""
        ...

    async def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """`save_delivery` each, together."""
        ...


class WebhookUnitOfWork(Protocol):
    @property
    def webhooks(self) -> WebhookRepository: ...

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None: ...


def _event_types(event_types: list[str]) -> list[str]:
    unknown = [t for t in event_types if t not in WEBHOOK_EVENT_TYPES]
    if unknown:
        raise InvalidSubscription("event_types", f"unknown event types: {', '.join(unknown)}")
    if not event_types:
        raise InvalidSubscription("event_types", "name at least one event type")
    return list(dict.fromkeys(event_types))


async def _checked_url(url: str, check: TargetCheck) -> str:
    try:
        await check(url)
    except ValueError as exc:
        raise InvalidSubscription("url", str(exc)) from None
    return url


async def create_subscription(
    uow: WebhookUnitOfWork,
    *,
    url: str,
    event_types: list[str],
    secret: str,
    description: str | None,
    active: bool,
    actor: str | None,
    check: TargetCheck,
) -> Subscription:
    subscription = Subscription(
        id=new_id(),
        url=await _checked_url(url, check),
        event_types=_event_types(event_types),
        secret=secret,
        active=active,
        description=description,
        created_by=actor,
    )
    await uow.webhooks.add(subscription)
    return await get_subscription(uow, subscription.id)


async def get_subscription(
    uow: WebhookUnitOfWork, subscription_id: str, *, lock: bool = False
) -> Subscription:
    subscription = await uow.webhooks.get(subscription_id, lock=lock)
    if subscription is None:
        raise SubscriptionNotFound(f"no webhook subscription {subscription_id}")
    return subscription


async def update_subscription(
    uow: WebhookUnitOfWork, subscription_id: str, changes: dict[str, Any], check: TargetCheck
) -> Subscription:
    """Apply the given fields; `active: true` re-enables with a clean count of failures."""
    subscription = await get_subscription(uow, subscription_id, lock=True)
    if "url" in changes:
        subscription.url = await _checked_url(changes["url"], check)
    if "event_types" in changes:
        subscription.event_types = _event_types(changes["event_types"])
    if "description" in changes:
        subscription.description = changes["description"]
    if "secret" in changes:
        subscription.secret = changes["secret"]
    if changes.get("active") is True:
        subscription.enable()
    elif changes.get("active") is False:
        subscription.disable()
    await uow.webhooks.save(subscription)
    return await get_subscription(uow, subscription_id)


async def delete_subscription(uow: WebhookUnitOfWork, subscription_id: str) -> None:
    """Delete the subscription with its delivery log."""
    if not await uow.webhooks.remove(subscription_id):
        raise SubscriptionNotFound(f"no webhook subscription {subscription_id}")


async def get_delivery(
    uow: WebhookUnitOfWork, subscription_id: str, delivery_id: str, *, lock: bool = False
) -> Delivery:
    delivery = await uow.webhooks.delivery(subscription_id, delivery_id, lock=lock)
    if delivery is None:
        raise DeliveryNotFound(f"no delivery {delivery_id} of subscription {subscription_id}")
    return delivery


async def redeliver(
    uow: WebhookUnitOfWork, subscription_id: str, delivery_id: str, now: datetime
) -> Delivery:
    """Queue a delivery again, whatever became of it, with a fresh round of attempts."""
    delivery = await get_delivery(uow, subscription_id, delivery_id, lock=True)
    delivery.redeliver(now)
    await uow.webhooks.save_delivery(delivery)
    return delivery


async def record_attempts(
    uow: WebhookUnitOfWork,
    attempts: Sequence[tuple[DueDelivery, Attempt]],
    *,
    now: datetime,
    rules: RetryRules,
) -> list[Delivery]:
    """Record the outcomes of attempts on their deliveries and subscriptions, in the order given.

    The deliveries are locked first, then their subscriptions, each once and in the order of
    their ids (as every recorder locks them). A subscription whose attempts failed
    `disable_after_failures` times in a row is disabled: suite.webhook.disabled.v1 is recorded
    and counted. A subscription is written only if an outcome changed it. Returns the
    deliveries recorded: not one that was deleted meanwhile, or is no longer pending.
    """
    deliveries = await uow.webhooks.deliveries_locked([due.delivery.id for due, _ in attempts])
    subscriptions = await uow.webhooks.subscriptions_locked(
        [due.delivery.subscription_id for due, _ in attempts]
    )
    as_read = {key: replace(subscription) for key, subscription in subscriptions.items()}
    recorded: list[Delivery] = []
    for due, attempt in attempts:
        delivery = deliveries.get(due.delivery.id)
        subscription = subscriptions.get(due.delivery.subscription_id)
        if (
            delivery is None
            or subscription is None
            or delivery.status is not DeliveryStatus.PENDING
        ):
            continue
        if attempt.delivered:
            delivery.succeeded(now, attempt.status_code, attempt.response_ms)
            subscription.attempt_succeeded()
        else:
            delivery.failed(
                now,
                attempt.status_code,
                attempt.error or "failed",
                attempt.response_ms,
                max_attempts=rules.max_attempts,
                retry_in=rules.retry_delay(delivery.attempts + 1),
            )
            if subscription.attempt_failed(rules.disable_after_failures):
                await _announce_disabled(uow, subscription)
        recorded.append(delivery)
    await uow.webhooks.save_deliveries(recorded)
    for key, subscription in sorted(subscriptions.items()):
        if subscription != as_read[key]:
            await uow.webhooks.save(subscription)
    return recorded


async def _announce_disabled(uow: WebhookUnitOfWork, subscription: Subscription) -> None:
    WEBHOOK_SUBSCRIPTIONS_DISABLED.labels("orders").inc()
    payload = WebhookDisabled(
        subscription_id=subscription.id,
        url=subscription.url,
        reason=subscription.disabled_reason or "disabled",
        consecutive_failures=subscription.consecutive_failures,
    )
    event = new_event(EventType.WEBHOOK_DISABLED, payload, source=SOURCE, subject=subscription.id)
    await uow.record(event, key=subscription.id)
