"""Webhook subscriptions and their delivery outbox on PostgreSQL.

`deliveries_of` runs in the statement that records a fact: one delivery row per active
subscription that wants its type, so a fact and its deliveries commit (or roll back) together;
a transaction that writes a delivery due now (a new one, a redelivery) NOTIFYs
`DELIVERIES_CHANNEL`, waking the dispatcher when it commits.
The dispatcher claims due rows with a lease (`claim_due`): it sends outside any transaction,
and a dispatcher that dies leaves rows that fall due again when their lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    String,
    Text,
    Uuid,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.tables import webhook_deliveries, webhook_subscriptions
from orders.domain.webhooks import WEBHOOK_EVENT_TYPES, Delivery, DeliveryStatus, Subscription
from orders.service_layer.webhooks import DueDelivery
from servicekit.mapping import copied
from servicekit.notify import wake_after_commit
from servicekit.outbox import cut_at_sequence
from servicekit.unit_of_work import SqlRepository

_WANTED_TYPES = frozenset(WEBHOOK_EVENT_TYPES)
DELIVERIES_CHANNEL = "webhook_deliveries"


def wants_deliveries(event: CloudEvent[Any]) -> bool:
    """Whether a subscription may want `event` (its type is one of the webhook types)."""
    return event.type in _WANTED_TYPES


def deliveries_of(when: ColumnElement[bool], payload: ColumnElement[str] | None = None) -> Insert:
    """The INSERT of a pending delivery of an event for each active subscription to its type
    (once each), if `when` holds; the event is given as the parameters `delivery_parameters`
    names, its JSON as `payload` if given (an event numbered in the same statement). It returns
    the ids written: then the transaction must wake the dispatcher (`wake_dispatcher`). Built
    once, like the statement it is part of.

    It is meant to run in the statement that records the fact (a CTE), so the subscriptions are
    read in that transaction: one made a moment ago by any process gets the event."""
    subscriptions = webhook_subscriptions.c
    wanting = select(
        func.gen_random_uuid(),
        subscriptions.id,
        bindparam("delivery_event_id", type_=String),
        bindparam("delivery_event_type", type_=String),
        bindparam("delivery_subject", type_=String),
        bindparam("delivery_payload", type_=Text) if payload is None else payload,
        literal(DeliveryStatus.PENDING.value),
        func.now(),
    ).where(
        when,
        subscriptions.active,
        subscriptions.event_types.contains(bindparam("delivery_types", type_=JSONB)),
    )
    columns = webhook_deliveries.c
    return (
        insert(webhook_deliveries)
        .from_select(
            [
                columns.id,
                columns.subscription_id,
                columns.event_id,
                columns.event_type,
                columns.order_id,
                columns.payload,
                columns.status,
                columns.next_attempt_at,
            ],
            wanting,
        )
        .on_conflict_do_nothing(constraint="uq_webhook_deliveries_event")
        .returning(columns.id)
    )


def delivery_parameters(
    event: CloudEvent[Any],
    subject: str | None,
    *,
    numbered: bool = False,
    payload: str | None = None,
) -> dict[str, Any]:
    """The parameters of `deliveries_of` for `event` about `subject`; if `numbered`, its JSON
    is cut where the number the statement gives it goes (`servicekit.outbox.numbered_payload`
    with the prefix `delivery_payload`). `payload`: its JSON if the caller has it already."""
    parameters = {
        "delivery_event_id": event.id,
        "delivery_event_type": event.type,
        "delivery_subject": subject,
        "delivery_types": [event.type],
    }
    if payload is None:
        payload = event.model_dump_json()
    if not numbered:
        return parameters | {"delivery_payload": payload}
    head, tail = cut_at_sequence(payload)
    return parameters | {"delivery_payload_head": head, "delivery_payload_tail": tail}


def wake_dispatcher(session: AsyncSession) -> None:
    """Deliveries were written: the dispatcher looks for them once this transaction commits."""
    wake_after_commit(session, DELIVERIES_CHANNEL)


def _subscription_values(subscription: Subscription) -> dict[str, Any]:
    return {
        "url": subscription.url,
        "event_types": list(subscription.event_types),
        "secret": subscription.secret,
        "active": subscription.active,
        "description": subscription.description,
        "consecutive_failures": subscription.consecutive_failures,
        "disabled_reason": subscription.disabled_reason,
    }


_DELIVERY_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status_code",
    "last_error",
    "response_ms",
    "delivered_at",
)


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    """The columns an attempt or a redelivery changes (`_DELIVERY_COLUMNS`)."""
    values = {name: getattr(delivery, name) for name in _DELIVERY_COLUMNS}
    return values | {"status": delivery.status.value}


# Rows by id (the `ids` parameter), locked in the order of their ids: statements built once.
# A subscription is locked `FOR NO KEY UPDATE`, as an UPDATE of it does: the foreign key of
# every delivery written meanwhile (in the transaction of each fact about an order) takes a key
# share of it, which `FOR UPDATE` would wait for and then block until its own commit.
_DELIVERIES_LOCKED = (
    select(webhook_deliveries)
    .where(webhook_deliveries.c.id == any_(bindparam("ids", type_=ARRAY(Uuid(as_uuid=False)))))
    .order_by(webhook_deliveries.c.id)
    .with_for_update()
)
_SUBSCRIPTIONS_LOCKED = (
    select(webhook_subscriptions)
    .where(webhook_subscriptions.c.id == any_(bindparam("ids", type_=ARRAY(Uuid(as_uuid=False)))))
    .order_by(webhook_subscriptions.c.id)
    .with_for_update(key_share=True)
)
# One delivery's columns (`_delivery_values`, each as `new_<column>`), by its `delivery_id`.
_SAVE_DELIVERY = (
    update(webhook_deliveries)
    .where(webhook_deliveries.c.id == bindparam("delivery_id"))
    .values({name: bindparam(f"new_{name}") for name in _DELIVERY_COLUMNS})
)


def _delivery(row: Any) -> Delivery:
    delivery = copied(Delivery, row)
    delivery.status = DeliveryStatus(row.status)
    return delivery


class SqlWebhookRepository(SqlRepository):
    async def add(self, subscription: Subscription) -> None:
        await self.session.execute(
            webhook_subscriptions.insert().values(
                id=subscription.id,
                created_by=subscription.created_by,
                **_subscription_values(subscription),
            )
        )

    async def get(self, subscription_id: str, *, lock: bool = False) -> Subscription | None:
        query = select(webhook_subscriptions).where(webhook_subscriptions.c.id == subscription_id)
        locked = query.with_for_update(key_share=True)  # see _SUBSCRIPTIONS_LOCKED
        row = (await self.session.execute(locked if lock else query)).first()
        return None if row is None else copied(Subscription, row)

    async def save(self, subscription: Subscription) -> None:
        await self.session.execute(
            update(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == subscription.id)
            .values(updated_at=func.now(), **_subscription_values(subscription))
        )

    async def remove(self, subscription_id: str) -> bool:
        removed = await self.session.execute(
            delete(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == subscription_id)
            .returning(webhook_subscriptions.c.id)
        )
        return removed.first() is not None

    async def list_all(
        self, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Subscription]:
        columns = webhook_subscriptions.c
        query = select(webhook_subscriptions).order_by(columns.created_at, columns.id)
        if after is not None:
            query = query.where(func.row(columns.created_at, columns.id) > func.row(*after))
        rows = await self.session.execute(query.limit(limit))
        return [copied(Subscription, row) for row in rows]

    async def deliveries(
        self,
        subscription_id: str,
        *,
        status: DeliveryStatus | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Delivery]:
        """The subscription's delivery log, newest first."""
        columns = webhook_deliveries.c
        query = (
            select(webhook_deliveries)
            .where(columns.subscription_id == subscription_id)
            .order_by(columns.created_at.desc(), columns.id.desc())
        )
        if status is not None:
            query = query.where(columns.status == status.value)
        if after is not None:
            query = query.where(func.row(columns.created_at, columns.id) < func.row(*after))
        return [_delivery(row) for row in await self.session.execute(query.limit(limit))]

    async def delivery(
        self, subscription_id: str, delivery_id: str, *, lock: bool = False
    ) -> Delivery | None:
        columns = webhook_deliveries.c
        query = select(webhook_deliveries).where(
            columns.subscription_id == subscription_id, columns.id == delivery_id
        )
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _delivery(row)

    async def save_delivery(self, delivery: Delivery) -> None:
        """Update it; a fresh round (a redelivery: pending, no attempts yet) wakes the
        dispatcher on commit."""
        await self.save_deliveries([delivery])

    async def deliveries_locked(self, delivery_ids: Sequence[str]) -> dict[str, Delivery]:
        if not delivery_ids:
            return {}
        rows = await self.session.execute(_DELIVERIES_LOCKED, {"ids": list(delivery_ids)})
        return {row.id: _delivery(row) for row in rows}

    async def subscriptions_locked(
        self, subscription_ids: Sequence[str]
    ) -> dict[str, Subscription]:
        if not subscription_ids:
            return {}
        rows = await self.session.execute(
            _SUBSCRIPTIONS_LOCKED, {"ids": sorted(set(subscription_ids))}
        )
        return {row.id: copied(Subscription, row) for row in rows}

    async def save_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        """`save_delivery` each, in one round trip (an executemany)."""
        if not deliveries:
            return
        await self.session.execute(
            _SAVE_DELIVERY,
            [
                {"delivery_id": d.id} | {f"new_{k}": v for k, v in _delivery_values(d).items()}
                for d in deliveries
            ],
        )
        if any(d.status is DeliveryStatus.PENDING and d.attempts == 0 for d in deliveries):
            wake_dispatcher(self.session)

    async def claim_due(self, limit: int, lease: timedelta) -> list[DueDelivery]:
        """Up to `limit` due deliveries of active subscriptions, leased for `lease`.

        Rows another dispatcher is claiming are skipped; a claimed row is not due again before
        its lease ends, by which time its attempt has been recorded (or its dispatcher died).
        """
        deliveries, subscriptions = webhook_deliveries.c, webhook_subscriptions.c
        due = (
            select(deliveries.id)
            .join(webhook_subscriptions, subscriptions.id == deliveries.subscription_id)
            .where(
                deliveries.status == DeliveryStatus.PENDING.value,
                deliveries.next_attempt_at <= func.now(),
                subscriptions.active,
            )
            .order_by(deliveries.next_attempt_at)
            .limit(limit)
            .with_for_update(of=webhook_deliveries, skip_locked=True)
        )
        claimed = (
            await self.session.execute(
                update(webhook_deliveries)
                .where(deliveries.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=func.now() + lease)
                .returning(deliveries.id)
            )
        ).scalars()
        rows = await self.session.execute(
            select(webhook_deliveries, subscriptions.url, subscriptions.secret)
            .join(webhook_subscriptions, subscriptions.id == deliveries.subscription_id)
            .where(deliveries.id.in_(list(claimed)))
        )
        return [DueDelivery(_delivery(row), row.url, row.secret) for row in rows]

    async def next_due_at(self) -> datetime | None:
        deliveries, subscriptions = webhook_deliveries.c, webhook_subscriptions.c
        due: datetime | None = (
            await self.session.execute(
                select(func.min(deliveries.next_attempt_at))
                .join(webhook_subscriptions, subscriptions.id == deliveries.subscription_id)
                .where(deliveries.status == DeliveryStatus.PENDING.value, subscriptions.active)
            )
        ).scalar_one_or_none()
        return due

    async def prune(self, before: datetime, batch: int) -> int:
        """Forget up to `batch` finished deliveries created before `before`; how many."""
        columns = webhook_deliveries.c
        oldest = (
            select(columns.id)
            .where(
                columns.created_at < before,
                columns.status != DeliveryStatus.PENDING.value,
            )
            .limit(batch)
        )
        pruned = await self.session.execute(
            delete(webhook_deliveries)
            .where(columns.id.in_(oldest.scalar_subquery()))
            .returning(columns.id)
        )
        return len(pruned.all())
