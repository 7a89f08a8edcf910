"""Overdue invoices and dunning against a real Kafka broker and PostgreSQL, on given days."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from billing_harness import CUSTOMER, Billing, invoices

from billing.bootstrap import build_spec
from billing.config import BillingSettings
from billing.entrypoints.cli import MIGRATIONS_DIR
from contracts import EventType
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    eventually,
    service_with_input,
    settings_for_test,
)


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def run(billing: Billing, offset: int) -> dict[str, Any]:
    response = await billing.client.post("/collection-runs", json={"day": day(offset)})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_overdue_then_two_dunning_levels_once_each_whatever_the_workers(
    billing: Billing, make_order: Any
) -> None:
    late, paid = await invoices(billing, make_order, 10, 10)  # due in 10 days
    assert (await billing.pay(paid["id"], {"amount": "133.10"})).status_code == 201

    assert (await run(billing, 10))["overdue"] == 0  # the due date itself is not past due
    first = await run(billing, 11)
    assert (first["ran"], first["overdue"], first["reminders"]) == (True, 1, 0)
    assert (await run(billing, 11))["ran"] is False  # once per day
    assert (await run(billing, 16))["reminders"] == 0  # 6 days: not yet
    assert (await run(billing, 17))["reminders"] == 1  # 7 days: payment reminder
    # Several workers on one day: exactly one runs it.
    racing = await asyncio.gather(*(run(billing, 31) for _ in range(4)))
    assert sorted(r["ran"] for r in racing) == [False, False, False, True]
    assert [r["reminders"] for r in racing if r["ran"]] == [1]  # 21 days: second reminder
    assert (await run(billing, 32))["reminders"] == 0

    overdue = await billing.published(EventType.INVOICE_OVERDUE)
    assert [(key, e["data"]["invoice_id"], e["data"]["days_past_due"]) for key, e in overdue] == [
        (late["order_id"].encode(), late["id"], 1)
    ]
    dunning = await billing.published(EventType.DUNNING_LEVEL_REACHED)
    assert [
        (e["data"]["level"], e["data"]["name"], e["data"]["days_past_due"]) for _, e in dunning
    ] == [
        (1, "Payment reminder", 7),
        (2, "Second reminder", 21),
    ]
    assert {key for key, _ in dunning} == {late["order_id"].encode()}
    assert dunning[0][1]["data"]["customer"]["email"] == CUSTOMER["email"]
    assert dunning[0][1]["data"]["balance"] == "133.10"

    history = await billing.client.get(f"/invoices/{late['id']}/history")
    assert history.status_code == 200, history.text
    assert [(e["kind"], e["at"]) for e in history.json()["entries"]] == [
        ("issued", history.json()["entries"][0]["at"]),
        ("overdue", day(11)),
        ("dunning", day(17)),
        ("dunning", day(31)),
    ]
    assert "Second reminder" in history.json()["entries"][-1]["summary"]
    paid_history = await billing.client.get(f"/invoices/{paid['id']}/history")
    assert [e["kind"] for e in paid_history.json()["entries"]] == ["issued", "payment"]


@pytest.fixture
def clock() -> list[date]:
    return [datetime.now(UTC).date()]


@pytest.fixture
async def billing_on_a_clock(
    databases: TemporaryDatabases, kafka: KafkaSettings, clock: list[date]
) -> AsyncIterator[Billing]:
    settings = await settings_for_test(BillingSettings, databases, kafka, "billing")
    settings = settings.model_copy(update={"collection_interval_seconds": 0.2})
    spec = build_spec(settings, clock=lambda: datetime.combine(clock[0], datetime.min.time(), UTC))
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield Billing(runtime, client, kafka, producer)


async def test_the_worker_runs_the_day_of_its_clock(
    billing_on_a_clock: Billing, clock: list[date], make_order: Any
) -> None:
    billing = billing_on_a_clock
    [invoice] = await invoices(billing, make_order, 5)
    clock[0] += timedelta(days=5 + 40)  # the final notice is due 35 days past due

    async def reached() -> list[Any] | None:
        found = await billing.published(EventType.DUNNING_LEVEL_REACHED)
        return found or None

    [(_, event)] = await eventually(reached, within=20)
    # Missed runs send one letter, the level now due, not every one in between.
    assert (event["data"]["level"], event["data"]["invoice_id"]) == (3, invoice["id"])
    assert (await run(billing, 45))["ran"] is False  # the worker ran that day already
