"""Pausing, resuming and ending recurring invoicing against a real Kafka broker and a real
PostgreSQL server (the service's own job is off: the test runs it on the days it chooses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from billing_builders import confirmed
from billing_harness import Billing

from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.bootstrap import build_spec
from billing.config import BillingSettings
from billing.entrypoints.cli import MIGRATIONS_DIR
from billing.service_layer.recurring import run_recurring
from contracts import EventType
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    service_with_input,
    settings_for_test,
)


@pytest.fixture
async def quiet_billing(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[Billing]:
    settings = await settings_for_test(BillingSettings, databases, kafka, "billing")
    spec = build_spec(settings.model_copy(update={"recurring_enabled": False}))
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield Billing(runtime, client, kafka, producer)


async def _run(billing: Billing, today: date) -> list[date]:
    async with billing.runtime.sessionmaker() as session, session.begin():
        run = await run_recurring(SqlUnitOfWork(session), today)
    return [period for _, period, _ in run.issued]


async def test_a_schedule_is_paused_resumed_and_ended(
    quiet_billing: Billing, make_order: Any
) -> None:
    billing = quiet_billing
    order = make_order(recurring={"frequency": "monthly", "start": "2025-01-15"})
    event = confirmed(order)
    await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(event.id))
    path = f"/orders/{order.order_id}/recurring-schedule"

    assert await _run(billing, date(2025, 1, 20)) == [date(2025, 1, 15)]
    by_hand = await billing.client.post(
        f"/orders/{order.order_id}/invoices", json={"lines": [{"line_no": 1, "quantity": "1"}]}
    )
    assert by_hand.status_code == 409, by_hand.text  # its schedule invoices it, per period
    assert "billed per period" in by_hand.json()["detail"]
    paused = await billing.client.post(f"{path}/pause", json={"on": "2025-02-01"})
    assert paused.status_code == 200, paused.text
    assert (paused.json()["status"], paused.json()["pauses"]) == (
        "paused",
        [{"paused_on": "2025-02-01", "resumed_on": None}],
    )
    assert (await billing.client.post(f"{path}/pause", json={})).status_code == 409
    assert await _run(billing, date(2025, 3, 20)) == []  # February and March skipped
    resumed = await billing.client.post(f"{path}/resume", json={"on": "2025-04-01"})
    assert resumed.json()["status"] == "active"
    assert await _run(billing, date(2025, 4, 20)) == [date(2025, 4, 15)]  # never caught up
    ended = await billing.client.post(f"{path}/end", json={"on": "2025-06-01"})
    assert (ended.json()["status"], ended.json()["ends_on"]) == ("ended", "2025-06-01")
    assert await _run(billing, date(2025, 12, 31)) == [date(2025, 5, 15)]
    for how in ("pause", "resume", "end"):
        refused = await billing.client.post(f"{path}/{how}")
        assert refused.status_code == 409, refused.text
    bad = await billing.client.post(f"{path}/end", json={"on": "someday"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.on"]
    read = (await billing.client.get(path)).json()
    assert (read["status"], read["frequency"], read["start"]) == ("ended", "monthly", "2025-01-15")

    moves = []
    for event_type in (
        EventType.RECURRING_SCHEDULE_PAUSED,
        EventType.RECURRING_SCHEDULE_RESUMED,
        EventType.RECURRING_SCHEDULE_ENDED,
    ):
        moves += [(key, e["data"]["status"]) for key, e in await billing.published(event_type)]
    key = order.order_id.encode()
    assert moves == [(key, "paused"), (key, "active"), (key, "ended")]

    plain = make_order()
    other = confirmed(plain)
    await billing.publish(other, plain.order_id)
    await eventually(lambda: billing.processed(other.id))
    not_recurring = await billing.client.post(f"/orders/{plain.order_id}/recurring-schedule/pause")
    assert not_recurring.status_code == 409
    unknown = await billing.client.get("/orders/nobody/recurring-schedule")
    assert unknown.status_code == 404
