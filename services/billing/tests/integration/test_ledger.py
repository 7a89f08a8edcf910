"""The ledger CSV against a real PostgreSQL server: re-read, it adds up to what was invoiced."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_harness import CUSTOMER, Billing, invoices, post, receive, refund

from billing.domain.ledger import COLUMNS


async def ledger(billing: Billing, start: str, end: str) -> list[dict[str, str]]:
    response = await billing.client.get("/exports/ledger.csv", params={"from": start, "to": end})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


async def test_the_ledger_lists_every_line_and_money_movement_and_adds_up(
    billing: Billing, make_order: Any
) -> None:
    today = datetime.now(UTC).date()
    first, second = await invoices(billing, make_order, 10, 20)  # 3 lines of 133.10 each
    lines = [("SVC-1", "2", "45.00", "10", "21"), ("PART", "1.5", "9.99", "0", "10")]
    [third] = await invoices(billing, make_order, 30, lines=lines)
    now = datetime.now(UTC).isoformat()
    await receive(billing, "400.00", method="card", reference="card 1234", received_at=now)
    await refund(billing, "5.00", paid_at=now)
    bounced = await receive(billing, "1.00", received_at=now)
    reversal = await post(billing, f"/payments/{bounced['id']}/reversal", {"reason": "x"})
    assert reversal.status_code == 200, reversal.text
    # A credit note on a paid invoice: all of it becomes customer credit (a payment of its own
    # in billing, which is no money received: the ledger lists the note's lines instead).
    credited = await post(
        billing,
        f"/invoices/{second['id']}/credit-notes",
        {"reason": "damaged", "lines": [{"line_no": 1, "quantity": "1"}]},
    )
    assert credited.status_code == 201, credited.text
    note = credited.json()
    assert Decimal(note["customer_credit"]) == Decimal(note["totals"]["gross"]) > 0
    # ... and one on an open invoice: it takes off what that one owes.
    [fourth] = await invoices(billing, make_order, 40)
    partial = await post(
        billing,
        f"/invoices/{fourth['id']}/credit-notes",
        {"reason": "goodwill", "lines": [{"line_no": 2, "quantity": "1"}]},
    )
    assert partial.status_code == 201, partial.text
    goodwill = partial.json()
    ageing = (await billing.client.get("/receivables")).json()["totals"]
    open_now = Decimal(fourth["totals"]["gross"]) - Decimal(goodwill["totals"]["gross"])
    assert [Decimal(t["total"]) for t in ageing] == [open_now]

    rows = await ledger(billing, today.isoformat(), today.isoformat())
    invoiced = [row for row in rows if row["type"] == "invoice"]
    assert [(row["number"], row["line_no"]) for row in invoiced] == sorted(
        (i["number"], str(n))
        for i in (first, second, third, fourth)
        for n in range(1, 4 if i is not third else 3)
    )
    credit_rows = [row for row in rows if row["type"] == "credit_note"]
    assert [(row["number"], row["reference"]) for row in credit_rows] == [
        (note["number"], second["number"]),
        (goodwill["number"], fourth["number"]),
    ]
    credit_total = Decimal(note["totals"]["gross"]) + Decimal(goodwill["totals"]["gross"])
    assert sum(Decimal(row["gross_amount"]) for row in credit_rows) == -credit_total
    # Re-read and summed: the invoices less the credit notes.
    invoiced_less_credited = (
        sum(Decimal(i["totals"]["gross"]) for i in (first, second, third, fourth)) - credit_total
    )
    assert (
        sum(Decimal(row["gross_amount"]) for row in invoiced + credit_rows)
        == invoiced_less_credited
    )
    total = sum(Decimal(i["totals"]["gross"]) for i in (first, second, third, fourth))
    assert sum(Decimal(row["gross_amount"]) for row in invoiced) == total
    assert sum(Decimal(row["net_amount"]) for row in invoiced) == sum(
        Decimal(i["totals"]["net"]) for i in (first, second, third, fourth)
    )
    part = next(row for row in invoiced if row["sku"] == "PART")
    assert (part["quantity"], part["unit_price"], part["tax_rate"]) == ("1.5", "9.99", "10")
    movements = sorted(
        (row["type"], row["gross_amount"], row["method"], row["reference"])
        for row in rows
        if row["type"] not in ("invoice", "credit_note")
    )
    assert movements == [
        ("payment", "-1.00", "bank_transfer", ""),
        ("payment", "-400.00", "card", "card 1234"),
        ("payment_reversal", "1.00", "bank_transfer", ""),
        ("refund", "5.00", "bank_transfer", ""),
    ]
    # All rows together: what the customer owes now (the statement lists the notes as well).
    owed = sum(Decimal(row["gross_amount"]) for row in rows)
    statement = await billing.client.get(
        f"/customers/{CUSTOMER['id']}/statement", params={"to": today.isoformat()}
    )
    [account] = statement.json()["accounts"]
    assert owed == Decimal(account["closing_balance"])
    notes = [(x["reference"], x["credit"]) for x in account["lines"] if x["kind"] == "credit_note"]
    assert sorted(notes) == sorted((n["number"], n["totals"]["gross"]) for n in (note, goodwill))

    tomorrow = (today + timedelta(days=1)).isoformat()
    assert await ledger(billing, tomorrow, tomorrow) == []
    for params, field in (
        ({"from": tomorrow, "to": today.isoformat()}, "query.from"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "query.to"),  # 367 days
        ({"from": "2025-01-01"}, "query.to"),
    ):
        refused = await billing.client.get("/exports/ledger.csv", params=params)
        assert refused.status_code == 422, params
        assert field in [e["field"] for e in refused.json()["errors"]]
    a_year = await billing.client.get(
        "/exports/ledger.csv", params={"from": "2024-01-01", "to": "2024-12-31"}
    )
    assert a_year.status_code == 200
