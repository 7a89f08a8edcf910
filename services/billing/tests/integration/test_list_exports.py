"""Invoices, draft invoices, payments, refunds and credit notes as CSV against a real PostgreSQL
(invoices from orders completed over Kafka): the header, a row's amounts in the currency's minor
unit, the list's filters honoured, and a token without a role refused."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from billing_builders import confirmed
from billing_harness import CUSTOMER, Billing, invoices, post, receive, refund

from billing.entrypoints.exports_api import (
    CREDIT_NOTE_COLUMNS,
    DRAFT_COLUMNS,
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    REFUND_COLUMNS,
)
from servicekit.testing import bearer, eventually


async def exported(
    billing: Billing, name: str, columns: tuple[str, ...], **params: str
) -> list[dict[str, str]]:
    response = await billing.client.get(f"/exports/{name}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == columns
    return list(reader)


async def test_invoices_payments_and_credit_notes_export_with_their_list_filters(
    billing: Billing, make_order: Any
) -> None:
    customer = {"id": f"cust-{uuid.uuid4().hex[:8]}", "name": "=Export Ltd"}
    first, second = await invoices(billing, make_order, 10, 20, customer=customer)
    paid = await billing.pay(first["id"], {"amount": "133.1"})
    assert paid.status_code == 201, paid.text

    rows = await exported(billing, "invoices.csv", INVOICE_COLUMNS, customer_id=customer["id"])
    assert sorted(r["number"] for r in rows) == sorted([first["number"], second["number"]])
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
    [row] = [r for r in rows if r["id"] == first["id"]]
    assert {
        key: row[key] for key in ("status", "customer_name", "gross_total", "paid_total", "balance")
    } == {
        "status": "paid",
        "customer_name": "'=Export Ltd",  # defused for spreadsheets
        "gross_total": "133.10",
        "paid_total": "133.10",
        "balance": "0.00",
    }
    issued = await exported(
        billing, "invoices.csv", INVOICE_COLUMNS, customer_id=customer["id"], status="issued"
    )
    assert [r["number"] for r in issued] == [second["number"]]

    payment = await receive(billing, "12.5", reference="wire 7")
    payments = await exported(billing, "payments.csv", PAYMENT_COLUMNS, currency="EUR")
    mine = [p for p in payments if p["id"] == payment["id"]]
    assert [(p["amount"], p["status"], p["reference"]) for p in mine] == [
        ("12.50", "received", "wire 7")
    ]
    assert await exported(billing, "payments.csv", PAYMENT_COLUMNS, currency="USD") == []
    refunded = await refund(billing, "5", reference="back")
    refunds = await exported(billing, "refunds.csv", REFUND_COLUMNS, customer_id=CUSTOMER["id"])
    assert [(r["id"], r["amount"], r["currency"], r["reference"]) for r in refunds] == [
        (refunded["id"], "5.00", "EUR", "back")
    ]
    assert await exported(billing, "refunds.csv", REFUND_COLUMNS, customer_id=customer["id"]) == []

    note = await post(
        billing,
        f"/invoices/{second['id']}/credit-notes",
        {"reason": "damaged", "lines": [{"line_no": 1, "quantity": "1"}]},
    )
    assert note.status_code == 201, note.text
    notes = await exported(
        billing, "credit-notes.csv", CREDIT_NOTE_COLUMNS, invoice_id=second["id"]
    )
    assert [(n["number"], n["invoice_number"], n["gross_total"]) for n in notes] == [
        (note.json()["number"], second["number"], note.json()["totals"]["gross"])
    ]
    other = await exported(billing, "credit-notes.csv", CREDIT_NOTE_COLUMNS, invoice_id=first["id"])
    assert other == []

    for name in ("invoices.csv", "payments.csv", "credit-notes.csv", "refunds.csv"):
        refused = await billing.client.get(f"/exports/{name}", headers=bearer())
        assert refused.status_code == 403, name


async def test_draft_invoices_export_with_the_filters_of_their_list(
    billing: Billing, make_order: Any
) -> None:
    order = make_order()  # BOLT-M8 10, NUT-M8 4, INSTALL 1
    policy = {"policy": "manual"}
    await billing.client.put(f"/orders/{order.order_id}/invoicing-policy", json=policy)
    event = confirmed(order)
    await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(event.id))
    made = []
    for quantity in ("4", "1"):
        body = {"lines": [{"line_no": 1, "quantity": quantity}]}
        created = await post(billing, f"/orders/{order.order_id}/invoices", body)
        assert created.status_code == 201, created.text
        made.append(created.json())
    discarded = await post(billing, f"/invoice-drafts/{made[1]['id']}/discard", {"reason": "x"})
    assert discarded.status_code == 200, discarded.text

    rows = await exported(billing, "invoice-drafts.csv", DRAFT_COLUMNS, order_id=order.order_id)
    assert [r["id"] for r in rows] == [made[1]["id"], made[0]["id"]]  # newest first
    assert {key: rows[1][key] for key in ("status", "currency", "gross_total", "lines")} == {
        "status": "draft",
        "currency": "EUR",
        "gross_total": "12.10",
        "lines": "1",
    }
    assert (rows[0]["status"], rows[0]["reason"]) == ("discarded", "x")
    drafts = await exported(
        billing, "invoice-drafts.csv", DRAFT_COLUMNS, order_id=order.order_id, status="draft"
    )
    assert [r["id"] for r in drafts] == [made[0]["id"]]
    refused = await billing.client.get("/exports/invoice-drafts.csv", headers=bearer())
    assert refused.status_code == 403
