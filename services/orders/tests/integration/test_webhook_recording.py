"""Recording webhook attempts on a real PostgreSQL (ADR 60): the locks it takes on a subscription
let the transactions of an order's facts go on writing deliveries of that subscription."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from contracts import EventType
from orders.adapters.tables import webhook_deliveries
from orders.adapters.unit_of_work import SqlUnitOfWork
from orders.domain.webhooks import DeliveryStatus, Subscription
from orders.entrypoints.cli import MIGRATIONS_DIR
from orders.service_layer.webhooks import DueDelivery, RetryRules, record_attempts
from servicekit.testing import TemporaryDatabases, migrated_sessions
from servicekit.webhooks import Attempt

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
RULES = RetryRules(max_attempts=5, disable_after_failures=3, retry_delay=lambda n: timedelta(n))


def pending_delivery(subscription_id: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "subscription_id": subscription_id,
        "event_id": str(uuid.uuid4()),
        "event_type": EventType.ORDER_CREATED.value,
        "order_id": str(uuid.uuid4()),
        "payload": "{}",
        "status": DeliveryStatus.PENDING.value,
        "next_attempt_at": NOW,
    }


async def test_recording_waits_for_no_transaction_writing_a_delivery_of_the_subscription(
    databases: TemporaryDatabases,
) -> None:
    async with migrated_sessions(databases, MIGRATIONS_DIR, "orders_webhook_locks") as sessions:
        subscription = Subscription(
            id=str(uuid.uuid4()),
            url="https://hooks.example.com/in",
            event_types=[EventType.ORDER_CREATED.value],
            secret="whsec_",
        )
        sent = [pending_delivery(subscription.id) for _ in range(2)]
        async with sessions() as session, session.begin():
            await SqlUnitOfWork(session).webhooks.add(subscription)
            await session.execute(insert(webhook_deliveries), sent)
        async with sessions() as session:
            found = await SqlUnitOfWork(session).webhooks.deliveries_locked([d["id"] for d in sent])
        due = [
            DueDelivery(found[str(d["id"])], subscription.url, subscription.secret) for d in sent
        ]

        # The transaction of a fact about an order writes a delivery of the subscription (its
        # foreign key takes a share of the subscription's row) and is still open.
        async with sessions() as writer, writer.begin():
            await writer.execute(insert(webhook_deliveries), pending_delivery(subscription.id))
            async with sessions() as recorder, recorder.begin():
                # Waiting for the writer would wait for ever (this task holds it): cut short.
                await recorder.execute(text("SET LOCAL lock_timeout = '2s'"))
                uow = SqlUnitOfWork(recorder)
                recorded = await record_attempts(
                    uow,
                    [
                        (due[0], Attempt(True, 204, None, 5)),
                        (due[1], Attempt(False, 503, "HTTP 503", 7)),  # the subscription changes
                    ],
                    now=NOW,
                    rules=RULES,
                )
                locked = await uow.webhooks.get(subscription.id, lock=True)  # as a change does

        assert [d.status for d in recorded] == [DeliveryStatus.SUCCEEDED, DeliveryStatus.PENDING]
        assert locked is not None
        assert locked.consecutive_failures == 1
        async with sessions() as session:
            kept = await SqlUnitOfWork(session).webhooks.get(subscription.id)
            stored = await SqlUnitOfWork(session).webhooks.deliveries_locked(
                [d["id"] for d in sent]
            )
        assert kept is not None
        assert kept.consecutive_failures == 1
        assert [stored[str(d["id"])].status for d in sent] == [
            DeliveryStatus.SUCCEEDED,
            DeliveryStatus.PENDING,
        ]
        assert stored[str(sent[1]["id"])].last_error == "HTTP 503"
