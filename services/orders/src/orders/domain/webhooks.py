"""Webhooks: other systems subscribe to the facts about orders and get each one POSTed, signed.

A subscription names a target URL and the event types it wants. Each fact of those types that
the service records about an order or a quote becomes one delivery per active subscription, in
the same transaction as the fact. A delivery is attempted until the receiver answers 2xx or its
attempts run out; a subscription whose attempts keep failing is disabled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts import EventType
from contracts.topics import ORDERS_EVENTS

# The facts a subscription may ask for: every event the service records on an order's or a
# quote's timeline, its own and those the other services report about the order (the types its
# consumers handle; a unit test keeps the two lists equal). The webhook body is the event itself
# (CloudEvents JSON), described by the published JSON Schemas.
REPORTED_TO_ORDERS: tuple[EventType, ...] = (
    EventType.STOCK_RESERVED,
    EventType.STOCK_RESERVATION_FAILED,
    EventType.STOCK_RELEASED,
    EventType.STOCK_RESERVATION_CHANGED,
    EventType.SHIPMENT_DISPATCHED,
    EventType.SHIPMENT_DELIVERED,
    EventType.RETURN_AUTHORISED,
    EventType.RETURN_RECEIVED,
    EventType.INVOICE_ISSUED,
    EventType.INVOICE_OVERDUE,
    EventType.DUNNING_LEVEL_REACHED,
    EventType.PAYMENT_RECEIVED,
    EventType.PAYMENT_REVERSED,
    EventType.INVOICE_DRAFTED,
    EventType.INVOICE_DRAFT_UPDATED,
    EventType.INVOICE_DRAFT_DISCARDED,
    EventType.DOWN_PAYMENT_DEDUCTED,
    EventType.RECURRING_SCHEDULE_PAUSED,
    EventType.RECURRING_SCHEDULE_RESUMED,
    EventType.RECURRING_SCHEDULE_ENDED,
    EventType.CREDIT_NOTE_ISSUED,
    EventType.DOCUMENT_GENERATED,
    EventType.QUOTE_DOCUMENT_GENERATED,
    EventType.DOCUMENT_EMAILED,
    EventType.NOTIFICATION_EMAILED,
    EventType.EINVOICE_PREPARED,
    EventType.EINVOICE_GENERATED,
    EventType.DELIVERY_NOTE_GENERATED,
)
WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(
    t.value
    for t in (*ORDERS_EVENTS.event_types, *REPORTED_TO_ORDERS)
    if t is not EventType.WEBHOOK_DISABLED
)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed; can be redelivered by hand


@dataclass
class Subscription:
    id: str
    url: str
    event_types: list[str]
    secret: str
    active: bool = True
    description: str | None = None
    consecutive_failures: int = 0
    disabled_reason: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def enable(self) -> None:
        """Active again, with a clean slate of failures."""
        self.active = True
        self.consecutive_failures = 0
        self.disabled_reason = None

    def disable(self, reason: str | None = None) -> None:
        self.active = False
        self.disabled_reason = reason

    def attempt_failed(self, disable_after: int) -> bool:
        """Count a failed attempt; True when this one disables the subscription."""
        self.consecutive_failures += 1
        if self.active and self.consecutive_failures >= disable_after:
            self.disable(f"{self.consecutive_failures} consecutive failed delivery attempts")
            return True
        return False

    def attempt_succeeded(self) -> None:
        self.consecutive_failures = 0


@dataclass
class Delivery:
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    payload: str
    order_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    response_ms: int | None = None
    delivered_at: datetime | None = None
    created_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """The `webhook-id`: the event's id, the same for every attempt, so receivers dedupe."""
        return self.event_id

    def succeeded(self, now: datetime, status_code: int | None, response_ms: int) -> None:
        self.attempts += 1
        self.status = DeliveryStatus.SUCCEEDED
        self.last_attempt_at = self.delivered_at = now
        self.last_status_code = status_code
        self.last_error = None
        self.response_ms = response_ms
        self.next_attempt_at = None

    def failed(
        self,
        now: datetime,
        status_code: int | None,
        error: str,
        response_ms: int,
        *,
        max_attempts: int,
        retry_in: timedelta,
    ) -> None:
        """Record a failed attempt: again after `retry_in`, or failed after the last one."""
        self.attempts += 1
        self.last_attempt_at = now
        self.last_status_code = status_code
        self.last_error = error
        self.response_ms = response_ms
        if self.attempts >= max_attempts:
            self.status = DeliveryStatus.FAILED
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + retry_in

    def redeliver(self, now: datetime) -> None:
        """Queue it again at once with a fresh round of attempts (the log keeps its last error)."""
        self.status = DeliveryStatus.PENDING
        self.attempts = 0
        self.next_attempt_at = now
        self.delivered_at = None


def new_id() -> str:
    return str(uuid.uuid4())
