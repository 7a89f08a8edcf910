"""Salespeople read the receivables and statements of their own (or their team's) customers,
as orders says who owns them (`suite.customer.changed.v1`); real Kafka, real PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from billing_harness import Billing, invoices

from billing.bootstrap import build_spec
from billing.config import BillingSettings
from billing.entrypoints.cli import MIGRATIONS_DIR
from billing.entrypoints.exports_api import RECEIVABLE_COLUMNS
from contracts import EventType, new_event
from contracts.events import CustomerChanged
from servicekit.settings import KafkaSettings
from servicekit.testing import (
    TemporaryDatabases,
    bearer,
    eventually,
    service_with_input,
    settings_for_test,
)

ALICE = {"id": "cust-alice", "name": "Alice's Customer", "email": "a@x.example"}
BOB = {"id": "cust-bob", "name": "Bob's Customer", "email": "b@x.example"}
CAROL = {"id": "cust-carol", "name": "Carol's Customer", "email": "c@x.example"}


@pytest.fixture
async def billing(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Billing]:
    settings = await settings_for_test(
        BillingSettings,
        databases,
        kafka,
        "billing",
        visibility={"sales": "own", "sales_manager": "team"},
    )
    async with service_with_input(build_spec(settings), MIGRATIONS_DIR) as (
        runtime,
        client,
        producer,
    ):
        yield Billing(runtime, client, kafka, producer)


def changed(customer: dict[str, str], owner: str, team: str, sequence: int) -> Any:
    payload = CustomerChanged(
        customer_id=customer["id"], name=customer["name"], owner=owner, team=team
    )
    event = new_event(EventType.CUSTOMER_CHANGED, payload, source="/orders", subject=customer["id"])
    return event.model_copy(update={"sequence": sequence})


async def test_sales_read_the_receivables_of_their_customers(
    billing: Billing, make_order: Any
) -> None:
    for customer in (ALICE, BOB, CAROL):
        await invoices(billing, make_order, 14, customer=customer)
    events = [
        changed(ALICE, "alice", "north", 1),
        changed(BOB, "bob", "north", 2),
        changed(BOB, "alice", "north", 1),  # older than what is kept: ignored
        changed(CAROL, "carol", "south", 1),
    ]
    for event in events:
        await billing.publish(event, event.subject)
    await eventually(lambda: billing.processed(*(e.id for e in events)))

    async def customers(*roles: str, subject: str, team: str | None = None) -> list[str]:
        headers = bearer(*roles, subject=subject, team=team)
        response = await billing.client.get("/receivables", headers=headers)
        assert response.status_code == 200, response.text
        return [item["customer_id"] for item in response.json()["items"]]

    assert await customers("sales", subject="alice", team="north") == [ALICE["id"]]
    assert await customers("sales", subject="bob", team="north") == [BOB["id"]]
    assert await customers("sales", "sales_manager", subject="mia", team="north") == [
        ALICE["id"],
        BOB["id"],
    ]
    everyone = [ALICE["id"], BOB["id"], CAROL["id"]]
    assert await customers("accounting", subject="acc") == everyone
    assert await customers("sales", "accounting", subject="alice") == everyone  # the widest
    totals = await billing.client.get("/receivables", headers=bearer("sales", subject="alice"))
    assert [t["total"] for t in totals.json()["totals"]] == ["133.10"]  # hers only

    # A statement of another's customer is unknown to her (404, nothing revealed, nothing sent).
    today = datetime.now(UTC).date().isoformat()
    alice = bearer("sales", subject="alice", team="north")
    mine = await billing.client.get(f"/customers/{ALICE['id']}/statement", headers=alice)
    assert mine.status_code == 200
    theirs = await billing.client.get(f"/customers/{CAROL['id']}/statement", headers=alice)
    assert theirs.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    refused = await billing.client.post(
        f"/customers/{CAROL['id']}/statements", json={"from": today}, headers=alice
    )
    assert refused.status_code == 404
    asked = await billing.client.post(
        f"/customers/{ALICE['id']}/statements", json={"from": today}, headers=alice
    )
    assert asked.status_code == 202, asked.text
    [(_, statement)] = await billing.published(EventType.STATEMENT_PREPARED)
    assert (statement["data"]["owner"], statement["data"]["team"]) == ("alice", "north")

    # Reassigned in orders: the view follows.
    event = changed(CAROL, "alice", "north", 2)
    await billing.publish(event, CAROL["id"])
    await eventually(lambda: billing.processed(event.id))
    assert await customers("sales", subject="alice") == [ALICE["id"], CAROL["id"]]


async def test_the_receivables_export_shows_only_the_callers_customers(
    billing: Billing, make_order: Any
) -> None:
    for customer in (ALICE, BOB):
        await invoices(billing, make_order, 14, customer=customer)
    [yen_invoice] = await invoices(billing, make_order, 14, customer=CAROL, currency="JPY")
    events = [changed(ALICE, "alice", "north", 1), changed(BOB, "bob", "north", 1)]
    events.append(changed(CAROL, "alice", "north", 1))
    for event in events:
        await billing.publish(event, event.subject)
    await eventually(lambda: billing.processed(*(e.id for e in events)))

    async def rows(*roles: str, subject: str, **params: str) -> list[dict[str, str]]:
        headers = bearer(*roles, subject=subject)
        response = await billing.client.get(
            "/exports/receivables.csv", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        day = params.get("as_of") or datetime.now(UTC).date().isoformat()
        disposition = f'attachment; filename="receivables-{day}.csv"'
        assert response.headers["content-disposition"] == disposition
        reader = csv.DictReader(io.StringIO(response.text))
        assert tuple(reader.fieldnames or ()) == RECEIVABLE_COLUMNS
        return list(reader)

    everyone = await rows("accounting", subject="acc")
    assert [r["customer_id"] for r in everyone] == [ALICE["id"], BOB["id"], CAROL["id"]]
    alices = await rows("sales", subject="alice")
    assert [(r["customer_id"], r["currency"]) for r in alices] == [
        (ALICE["id"], "EUR"),
        (CAROL["id"], "JPY"),
    ]
    [euro, yen] = alices
    assert (euro["current"], euro["days_1_30"], euro["total"], euro["invoices"]) == (
        "133.10",
        "0.00",
        "133.10",
        "1",
    )
    assert yen["total"] == yen_invoice["totals"]["gross"]
    assert "." not in yen["total"]  # no minor unit in yen
    in_yen = await rows("sales", subject="alice", currency="JPY")
    assert [r["customer_id"] for r in in_yen] == [CAROL["id"]]
    assert await rows("sales", subject="bob", customer_id=ALICE["id"]) == []
    refused = await billing.client.get("/exports/receivables.csv", headers=bearer())
    assert refused.status_code == 403
