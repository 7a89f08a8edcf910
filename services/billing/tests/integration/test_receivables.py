"""Receivables ageing and customer statements against a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_harness import CUSTOMER, Billing, invoices, post, receive, refund

# Invoices issued today, due in these many days; seen 120 days from now they are this far past
# due: 0, 1, 30, 31, 60, 61, 90, 91 days (each bucket's boundaries).
DUE_IN = (120, 119, 90, 89, 60, 59, 30, 29)


async def test_ageing_buckets_at_each_boundary_as_of_a_date(
    billing: Billing, make_order: Any
) -> None:
    today = datetime.now(UTC).date()
    await invoices(billing, make_order, *DUE_IN)
    await invoices(billing, make_order, 10, customer={"id": "cust-b", "name": "B"})
    [dollars] = await invoices(billing, make_order, 10, currency="USD")
    # Received after the date asked about: it does not count then.
    later = (today + timedelta(days=130)).isoformat() + "T12:00:00+00:00"
    paid = await post(
        billing,
        "/payments",
        {
            "customer_id": CUSTOMER["id"],
            "currency": "USD",
            "amount": "33.10",
            "received_at": later,
            "allocations": [{"invoice_id": dollars["id"], "amount": "33.10"}],
        },
    )
    assert paid.status_code == 201, paid.text

    as_of = (today + timedelta(days=120)).isoformat()
    response = await billing.client.get("/receivables", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    page = response.json()
    rows = {(r["customer_id"], r["currency"]): r for r in page["items"]}
    assert list(rows) == [("cust-b", "EUR"), (CUSTOMER["id"], "EUR"), (CUSTOMER["id"], "USD")]
    mine = rows[(CUSTOMER["id"], "EUR")]
    assert mine["customer_name"] == CUSTOMER["name"]
    assert [
        mine[b] for b in ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
    ] == ["133.10", "266.20", "266.20", "266.20", "133.10"]
    assert (mine["total"], mine["invoices"]) == ("1064.80", 8)
    assert rows[(CUSTOMER["id"], "USD")]["total"] == "133.10"  # the payment came later
    totals = {t["currency"]: t for t in page["totals"]}
    assert (totals["EUR"]["total"], totals["EUR"]["days_over_90"]) == ("1197.90", "266.20")
    assert totals["USD"]["total"] == "133.10"

    after_payment = (today + timedelta(days=131)).isoformat()
    usd = await billing.client.get(
        "/receivables", params={"as_of": after_payment, "currency": "USD"}
    )
    assert usd.json()["items"][0]["total"] == "100.00"

    # Paginated by customer and currency; nothing was issued yet the day before today.
    first = await billing.client.get("/receivables", params={"as_of": as_of, "limit": 2})
    second = await billing.client.get(
        "/receivables", params={"as_of": as_of, "limit": 2, "cursor": first.json()["next_cursor"]}
    )
    keys = [
        (r["customer_id"], r["currency"]) for r in first.json()["items"] + second.json()["items"]
    ]
    assert keys == list(rows)
    assert second.json()["next_cursor"] is None
    # Every page's totals are over every customer, not only those after its cursor.
    assert first.json()["totals"] == second.json()["totals"] == page["totals"]
    yesterday = (today - timedelta(days=1)).isoformat()
    empty = await billing.client.get("/receivables", params={"as_of": yesterday})
    assert (empty.json()["items"], empty.json()["totals"]) == ([], [])
    bad = await billing.client.get("/receivables", params={"as_of": "yesterday"})
    assert bad.status_code == 422


async def test_a_statement_lists_every_movement_with_the_running_balance(
    billing: Billing, make_order: Any
) -> None:
    today = datetime.now(UTC).date()
    first, second = await invoices(billing, make_order, 10, 20)
    now = datetime.now(UTC).isoformat()
    await receive(billing, "300.00", reference="wire 42", received_at=now)
    await refund(billing, "10.00", paid_at=now)

    response = await billing.client.get(
        f"/customers/{CUSTOMER['id']}/statement",
        params={"from": today.isoformat(), "to": today.isoformat()},
    )
    assert response.status_code == 200, response.text
    statement = response.json()
    assert (statement["from"], statement["to"]) == (today.isoformat(), today.isoformat())
    [account] = statement["accounts"]
    assert account["opening_balance"] == "0.00"
    assert [
        (line["kind"], line["debit"], line["credit"], line["balance"]) for line in account["lines"]
    ] == [
        ("invoice", "133.10", "0.00", "133.10"),
        ("invoice", "133.10", "0.00", "266.20"),
        ("payment", "0.00", "300.00", "-33.80"),
        ("refund", "10.00", "0.00", "-23.80"),
    ]
    assert account["closing_balance"] == "-23.80"
    assert statement["open_items"] == []
    assert statement["credit"] == [{"currency": "EUR", "amount": "23.80"}]

    tomorrow = (today + timedelta(days=1)).isoformat()
    later = await billing.client.get(
        f"/customers/{CUSTOMER['id']}/statement", params={"from": tomorrow, "to": tomorrow}
    )
    [account] = later.json()["accounts"]
    assert (account["opening_balance"], account["lines"]) == ("-23.80", [])
    backwards = await billing.client.get(
        f"/customers/{CUSTOMER['id']}/statement", params={"from": tomorrow, "to": today.isoformat()}
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query.from"
    assert {first["id"], second["id"]} == {
        line["id"] for line in statement["accounts"][0]["lines"] if line["kind"] == "invoice"
    }


async def test_an_invoices_payments_and_credit_notes_each_count_once(
    billing: Billing, make_order: Any
) -> None:
    """Two payments and two credit notes on one invoice: each is taken off once, whatever the
    others (the credit notes are summed per invoice before they meet the payments)."""
    [invoice] = await invoices(billing, make_order, 30)
    owed_before = Decimal(invoice["totals"]["gross"])
    for amount in ("10.00", "20.00"):
        await receive(
            billing, amount, allocations=[{"invoice_id": invoice["id"], "amount": amount}]
        )
    notes = []
    for line_no in (1, 2):
        note = await post(
            billing,
            f"/invoices/{invoice['id']}/credit-notes",
            {"reason": "damaged", "lines": [{"line_no": line_no, "quantity": "1"}]},
        )
        assert note.status_code == 201, note.text
        notes.append(Decimal(note.json()["totals"]["gross"]))
    open_now = owed_before - Decimal("30.00") - sum(notes)
    assert open_now > 0

    page = (await billing.client.get("/receivables")).json()
    [row] = page["items"]
    assert (Decimal(row["total"]), row["invoices"]) == (open_now, 1)
    assert [Decimal(t["total"]) for t in page["totals"]] == [open_now]
