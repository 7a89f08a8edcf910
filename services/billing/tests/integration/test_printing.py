"""Asking documents to print: a customer's statement and an invoice's Factur-X, as events
carrying everything the document shows (real Kafka, real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_harness import CUSTOMER, Billing, invoices, post, receive

from contracts import EventType


async def test_a_statement_request_carries_the_whole_statement(
    billing: Billing, make_order: Any
) -> None:
    first, second = await invoices(billing, make_order, 14, 30)
    await receive(billing, "150.00")  # settles the first, 16.90 on the second
    today = datetime.now(UTC).date().isoformat()

    response = await post(billing, f"/customers/{CUSTOMER['id']}/statements", {"from": today})
    assert response.status_code == 202, response.text
    requested = response.json()
    assert (requested["customer_id"], requested["from"], requested["to"]) == (
        CUSTOMER["id"],
        today,
        today,
    )
    assert requested["document_path"] == f"/statements/{requested['statement_id']}"

    [(key, event)] = await billing.published(EventType.STATEMENT_PREPARED)
    assert key == CUSTOMER["id"].encode()
    assert event["subject"] == CUSTOMER["id"]
    data = event["data"]
    assert data["statement_id"] == requested["statement_id"]
    assert data["customer_name"] == CUSTOMER["name"]
    assert (data["period_start"], data["period_end"]) == (today, today)
    [account] = data["accounts"]
    assert account["currency"] == "EUR"
    assert [(e["kind"], e["debit"], e["credit"]) for e in account["entries"]] == [
        ("invoice", "133.10", "0.00"),
        ("invoice", "133.10", "0.00"),
        ("payment", "0.00", "150.00"),
    ]
    assert account["closing_balance"] == "116.20"
    [open_item] = data["open_items"]
    assert (open_item["invoice_number"], open_item["open"]) == (second["number"], "116.20")
    assert first["number"] != second["number"]
    assert data["credit"] == []

    # Bad input: 422 naming the field, nothing recorded.
    tomorrow = "2999-01-01"
    backwards = await post(
        billing, f"/customers/{CUSTOMER['id']}/statements", {"from": tomorrow, "to": today}
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"
    assert "body.from" in backwards.text
    unknown_field = await post(billing, f"/customers/{CUSTOMER['id']}/statements", {"fro": today})
    assert unknown_field.status_code == 422
    assert len(await billing.published(EventType.STATEMENT_PREPARED)) == 1
