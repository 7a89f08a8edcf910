"""Webhook subscriptions over HTTP (administrators and integrations) and their delivery log."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from orders.config import OrdersSettings
from orders.domain.webhooks import WEBHOOK_EVENT_TYPES, Delivery, DeliveryStatus, Subscription
from orders.entrypoints.common import PROBLEMS, created_once, creating, unit_of_work
from orders.entrypoints.webhooks_schemas import (
    DeliveryPage,
    DeliveryRead,
    EventTypesRead,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from orders.service_layer import webhooks
from orders.service_layer.webhooks import TargetCheck
from servicekit.api import Cursor, ErrorTable, IdempotencyKey, Limit, problems_from
from servicekit.auth import Role, current_actor, require
from servicekit.http import InvalidInput, NotFound
from servicekit.pagination import created_at_and_id, cursor_position, page_of
from servicekit.runtime import runtime_of
from servicekit.webhooks import new_secret, resolve_target

MANAGERS = [Depends(require(Role.ADMIN, Role.INTEGRATION))]

router = APIRouter(tags=["webhooks"], dependencies=MANAGERS, responses=PROBLEMS)


def problems() -> AbstractContextManager[None]:
    table: ErrorTable = {
        webhooks.SubscriptionNotFound: NotFound,
        webhooks.DeliveryNotFound: NotFound,
        webhooks.InvalidSubscription: lambda exc: InvalidInput.field(
            f"body.{exc.field}", exc.message
        ),
    }
    return problems_from(table)


def _position(item: Subscription | Delivery) -> dict[str, Any]:
    """The cursor after an item: its creation time and id (`created_at_and_id` reads it)."""
    return {"created_at": item.created_at, "id": item.id}


def _target_check(request: Request) -> TargetCheck:
    settings = runtime_of(request).settings
    assert isinstance(settings, OrdersSettings)

    async def check(url: str) -> None:
        await resolve_target(url, settings.webhooks)

    return check


@router.get("/webhooks/event-types", response_model=EventTypesRead)
async def event_types() -> EventTypesRead:
    """The event types a subscription may ask for (the body of a delivery is the event)."""
    return EventTypesRead(event_types=list(WEBHOOK_EVENT_TYPES))


@creating(router, "/webhooks", WebhookWithSecret, dependencies=MANAGERS)
async def create_webhook(
    body: WebhookCreate, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Subscribe a URL to event types. The answer shows the signing secret, this once.

    422 for a URL that is not https or points at a non-public address (unless the deployment
    allows it), or for an unknown event type."""
    check = _target_check(request)

    async def create(uow: webhooks.WebhookUnitOfWork) -> WebhookWithSecret:
        subscription = await webhooks.create_subscription(
            uow,
            url=body.url,
            event_types=body.event_types,
            secret=new_secret(),
            description=body.description,
            active=body.active,
            actor=current_actor(),
            check=check,
        )
        return WebhookWithSecret.of(subscription)

    with problems():
        return await created_once(
            request, scope="POST /webhooks", key=idempotency_key, body=body, create=create
        )


@router.get("/webhooks", response_model=WebhookPage)
async def list_webhooks(request: Request, limit: Limit = 50, cursor: Cursor = None) -> WebhookPage:
    """Subscriptions, oldest first."""
    after = cursor_position(cursor, created_at_and_id)
    async with unit_of_work(request) as uow:
        found = await uow.webhooks.list_all(after=after, limit=limit + 1)
    items, next_cursor = page_of(found, limit, _position)
    return WebhookPage(items=[WebhookRead.of(s) for s in items], next_cursor=next_cursor)


@router.get("/webhooks/{subscription_id}", response_model=WebhookRead)
async def get_webhook(subscription_id: uuid.UUID, request: Request) -> WebhookRead:
    with problems():
        async with unit_of_work(request) as uow:
            return WebhookRead.of(await webhooks.get_subscription(uow, str(subscription_id)))


@router.patch("/webhooks/{subscription_id}", response_model=WebhookRead)
async def update_webhook(
    subscription_id: uuid.UUID, body: WebhookUpdate, request: Request
) -> WebhookRead:
    """Change the URL, event types, description or `active` (true re-enables a disabled one)."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("url", "event_types", "active"):
        if field in changes and changes[field] is None:
            raise InvalidInput.field(f"body.{field}", "may be left out, not null")
    check = _target_check(request)
    with problems():
        async with unit_of_work(request) as uow:
            changed = await webhooks.update_subscription(uow, str(subscription_id), changes, check)
            return WebhookRead.of(changed)


@router.post("/webhooks/{subscription_id}/secret", response_model=WebhookWithSecret)
async def rotate_secret(subscription_id: uuid.UUID, request: Request) -> WebhookWithSecret:
    """A new signing secret, shown this once; later attempts are signed with it."""
    with problems():
        async with unit_of_work(request) as uow:
            changed = await webhooks.update_subscription(
                uow, str(subscription_id), {"secret": new_secret()}, _target_check(request)
            )
            return WebhookWithSecret.of(changed)


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response)
async def delete_webhook(subscription_id: uuid.UUID, request: Request) -> Response:
    """Unsubscribe; the subscription's delivery log goes with it."""
    with problems():
        async with unit_of_work(request) as uow:
            await webhooks.delete_subscription(uow, str(subscription_id))
    return Response(status_code=204)


# The filter of a subscription's deliveries (their list and their export).
DeliveryStatusQuery = Annotated[DeliveryStatus | None, Query()]


@router.get("/webhooks/{subscription_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    subscription_id: uuid.UUID,
    request: Request,
    status: DeliveryStatusQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveryPage:
    """The subscription's delivery log, newest first (kept `WEBHOOK_RETENTION_DAYS`)."""
    after = cursor_position(cursor, created_at_and_id)
    with problems():
        async with unit_of_work(request) as uow:
            await webhooks.get_subscription(uow, str(subscription_id))
            found = await uow.webhooks.deliveries(
                str(subscription_id), status=status, after=after, limit=limit + 1
            )
    items, next_cursor = page_of(found, limit, _position)
    return DeliveryPage(items=[DeliveryRead.of(d) for d in items], next_cursor=next_cursor)


@router.get("/webhooks/{subscription_id}/deliveries/{delivery_id}", response_model=DeliveryRead)
async def get_delivery(
    subscription_id: uuid.UUID, delivery_id: uuid.UUID, request: Request
) -> DeliveryRead:
    with problems():
        async with unit_of_work(request) as uow:
            delivery = await webhooks.get_delivery(uow, str(subscription_id), str(delivery_id))
    return DeliveryRead.of(delivery)


@router.post(
    "/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryRead,
)
async def redeliver(
    subscription_id: uuid.UUID, delivery_id: uuid.UUID, request: Request
) -> DeliveryRead:
    """Queue the delivery again at once, with a fresh round of attempts (same `webhook-id`)."""
    with problems():
        async with unit_of_work(request) as uow:
            delivery = await webhooks.redeliver(
                uow, str(subscription_id), str(delivery_id), datetime.now(UTC)
            )
    return DeliveryRead.of(delivery)
