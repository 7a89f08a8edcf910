"""Bodies of the webhooks API: subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from orders.domain.webhooks import Delivery, DeliveryStatus, Subscription
from orders.entrypoints.shared_schemas import RequestBody
from servicekit.mapping import copied
from servicekit.pagination import Page

TargetUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="https URL the deliveries are POSTed to (public addresses only, unless the "
        "deployment allows others)",
        examples=["https://erp.example.com/hooks/orders"],
    ),
]
EventTypes = Annotated[
    list[Annotated[str, Field(max_length=200)]],
    Field(min_length=1, max_length=50, description="Types from GET /webhooks/event-types"),
]
Description = Annotated[str, Field(max_length=500)]


class WebhookCreate(RequestBody):
    url: TargetUrl
    event_types: EventTypes
    description: Description | None = None
    active: bool = True


class WebhookUpdate(RequestBody):
    """Only the fields given change. `active: true` re-enables a disabled subscription."""

    url: TargetUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    active: bool | None = None


class WebhookRead(BaseModel):
    id: str
    url: str
    event_types: list[str]
    active: bool
    description: str | None
    consecutive_failures: int = Field(description="Failed attempts in a row (reset by success)")
    disabled_reason: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookRead:
        return copied(cls, subscription)


class WebhookWithSecret(WebhookRead):
    """Shown once, when created or rotated: the secret receivers verify signatures with."""

    secret: str = Field(description="Standard Webhooks secret (`whsec_` + base64)")

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookWithSecret:
        return copied(cls, subscription)


class WebhookPage(Page[WebhookRead]):
    pass


class DeliveryRead(BaseModel):
    id: str
    subscription_id: str
    event_id: str = Field(description="Also the `webhook-id` header of every attempt")
    event_type: str
    order_id: str | None = Field(description="The order (or quote) the event is about")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    response_ms: int | None = Field(description="How long the receiver took on the last attempt")
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryRead:
        return copied(cls, delivery)


class DeliveryPage(Page[DeliveryRead]):
    pass


class EventTypesRead(BaseModel):
    event_types: list[str]
