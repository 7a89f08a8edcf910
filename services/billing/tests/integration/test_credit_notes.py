"""Credit notes against a real Kafka broker and a real PostgreSQL server: partial and full
credit, the excess that becomes customer credit, refusals, and returns credited once."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from billing_builders import completed
from billing_harness import Billing, credit, post

from contracts import EventType, new_event
from contracts.events import ReturnDisposition, ReturnedLine, ReturnReceived
from servicekit import dlq
from servicekit.testing import eventually

# build_order's invoice: BOLT-M8 10 × 2.50, NUT-M8 4 × 1.25, INSTALL 1 × 80.00, 21 % tax:
# 30.25 + 6.05 + 96.80 = 133.10.


async def _invoice(billing: Billing, make_order: Any) -> dict[str, Any]:
    order = make_order()
    await billing.publish(completed(order), order.order_id)
    return await billing.invoice_for(order)


async def _credit(billing: Billing, invoice_id: str, body: dict[str, Any]) -> Any:
    return await post(billing, f"/invoices/{invoice_id}/credit-notes", body)


def _state(invoice: dict[str, Any]) -> tuple[str, str, str, str]:
    return (invoice["status"], invoice["paid_total"], invoice["credited_total"], invoice["balance"])


async def test_partial_credit_then_the_rest_of_a_part_paid_invoice_leaves_customer_credit(
    billing: Billing, make_order: Any
) -> None:
    invoice = await _invoice(billing, make_order)
    first = await _credit(
        billing,
        invoice["id"],
        {"reason": "4 bolts damaged", "lines": [{"line_no": 1, "quantity": "4"}]},
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert re.fullmatch(r"CN-\d{4}-000001", note["number"]), note["number"]
    assert [
        (x["invoice_line_no"], x["sku"], x["quantity"], x["gross_amount"]) for x in note["lines"]
    ] == [(1, "BOLT-M8", "4", "12.10")]
    assert (note["totals"]["net"], note["totals"]["tax"], note["totals"]["gross"]) == (
        "10.00",
        "2.10",
        "12.10",
    )
    assert (note["applied_amount"], note["customer_credit"]) == ("12.10", "0.00")
    assert _state(await billing.get(invoice["id"])) == ("issued", "0.00", "12.10", "121.00")

    # More than a line has left, more than the invoice has left: 409, nothing issued.
    too_many = await _credit(
        billing, invoice["id"], {"reason": "x", "lines": [{"line_no": 1, "quantity": "7"}]}
    )
    assert too_many.status_code == 409, too_many.text
    assert "exceeds the 6 not credited yet" in too_many.json()["detail"]
    too_much = await _credit(billing, invoice["id"], {"reason": "x", "amount": "121.01"})
    assert too_much.status_code == 409, too_much.text
    assert "exceeds the 121.00 EUR" in too_much.json()["detail"]

    paid = await billing.pay(invoice["id"], {"amount": "50.00"})
    assert paid.status_code == 201, paid.text
    # An amount at the invoice's one tax rate: 10.00 = 8.26 net + 1.74 tax.
    goodwill = await _credit(billing, invoice["id"], {"reason": "late delivery", "amount": "10.00"})
    assert goodwill.status_code == 201, goodwill.text
    assert [(x["sku"], x["net_amount"], x["tax_amount"]) for x in goodwill.json()["lines"]] == [
        ("CREDIT", "8.26", "1.74")
    ]
    assert _state(await billing.get(invoice["id"])) == ("partially_paid", "50.00", "22.10", "61.00")

    # The rest of every line (121.00) is more than the invoice has left to credit (111.00).
    rest = {
        "reason": "order withdrawn",
        "lines": [
            {"line_no": 1, "quantity": "6"},
            {"line_no": 2, "quantity": "4"},
            {"line_no": 3, "quantity": "1"},
        ],
    }
    beyond = await _credit(billing, invoice["id"], rest)
    assert beyond.status_code == 409, beyond.text
    assert "exceeds the 111.00 EUR of invoice" in beyond.json()["detail"]
    # What is left is more than it still owes (61.00): the other 50.00 becomes credit.
    all_left = await _credit(
        billing, invoice["id"], {"reason": "order withdrawn", "amount": "111.00"}
    )
    assert all_left.status_code == 201, all_left.text
    last = all_left.json()
    assert last["totals"]["gross"] == "111.00"
    assert (last["applied_amount"], last["customer_credit"]) == ("61.00", "50.00")
    assert last["credit_payment_id"]
    assert _state(await billing.get(invoice["id"])) == ("credited", "50.00", "133.10", "0.00")
    assert await credit(billing, "cust-1") == [{"currency": "EUR", "amount": "50.00"}]
    payment = (await billing.client.get(f"/payments/{last['credit_payment_id']}")).json()
    assert (payment["reference"], payment["unallocated"]) == (last["number"], "50.00")

    nothing_left = await _credit(billing, invoice["id"], {"reason": "x", "amount": "0.01"})
    assert nothing_left.status_code == 409

    listed = (
        await billing.client.get("/credit-notes", params={"invoice_id": invoice["id"]})
    ).json()
    assert [n["number"] for n in listed["items"]] == [
        last["number"],
        goodwill.json()["number"],
        note["number"],
    ]
    one = await billing.client.get(f"/credit-notes/{note['id']}")
    assert one.json() == note

    events = await billing.published(EventType.CREDIT_NOTE_ISSUED)
    assert [(key, e["data"]["number"]) for key, e in events] == [
        (invoice["order_id"].encode(), n)
        for n in (note["number"], goodwill.json()["number"], last["number"])
    ]
    final = events[-1][1]["data"]
    assert (final["invoice_status"], final["invoice_credited_total"], final["invoice_balance"]) == (
        "credited",
        "133.10",
        "0.00",
    )


async def test_bad_requests_name_the_field_and_unknown_invoices_are_404(
    billing: Billing, make_order: Any
) -> None:
    invoice = await _invoice(billing, make_order)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"reason": "x"}, "body.lines"),
        (
            {"reason": "x", "amount": "1.00", "lines": [{"line_no": 1, "quantity": "1"}]},
            "body.amount",
        ),
        ({"reason": "x", "lines": [{"line_no": 9, "quantity": "1"}]}, "body.lines.0.line_no"),
        ({"reason": "x", "amount": "1.001"}, "body.amount"),
        ({"reason": "x", "amount": "1.00", "tax_rate": "7"}, "body.tax_rate"),
        ({"reason": "", "amount": "1.00"}, "body.reason"),
        ({"reason": "x", "lines": [{"line_no": 1, "quantity": "0"}]}, "body.lines.0.quantity"),
    ]
    for body, field in cases:
        response = await _credit(billing, invoice["id"], body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field, (body, response.text)
    unknown = await _credit(billing, "no-such-invoice", {"reason": "x", "amount": "1.00"})
    assert unknown.status_code == 404, unknown.text
    assert (await billing.client.get("/credit-notes/nope")).status_code == 404
    assert _state(await billing.get(invoice["id"])) == ("issued", "0.00", "0.00", "133.10")


def _returned(order_id: str, return_id: str, *lines: tuple[str, str]) -> Any:
    payload = ReturnReceived(
        return_id=return_id,
        number=f"RMA-{return_id}",
        order_id=order_id,
        reason="wrong size",
        lines=[
            ReturnedLine(sku=sku, quantity=Decimal(q), disposition=ReturnDisposition.RESTOCK)
            for sku, q in lines
        ],
    )
    return new_event(EventType.RETURN_RECEIVED, payload, source="/inventory", subject=order_id)


async def test_a_return_is_credited_once_at_the_invoiced_prices(
    billing: Billing, make_order: Any
) -> None:
    invoice = await _invoice(billing, make_order)
    order_id = invoice["order_id"]
    event = _returned(order_id, "r1", ("BOLT-M8", "2"), ("NUT-M8", "1"))
    await billing.publish(event, order_id, topic="inventory.events")
    await billing.publish(event, order_id, topic="inventory.events")  # redelivered
    # The same return announced again under another event id: still one credit note.
    await billing.publish(
        _returned(order_id, "r1", ("BOLT-M8", "2"), ("NUT-M8", "1")), order_id, "inventory.events"
    )
    # More than was invoiced: dead-lettered with the reason.
    bad = _returned(order_id, "r2", ("BOLT-M8", "9"))
    await billing.publish(bad, order_id, topic="inventory.events")

    letters = await eventually(
        lambda: dlq.read_dead_letters(billing.kafka, billing.kafka.topic("inventory.events.dlq"))
    )
    assert [json.loads(letter.value or b"{}")["id"] for letter in letters] == [bad.id]
    assert "9 of BOLT-M8 came back, but only 8 of it was invoiced" in letters[0].error

    notes = (await billing.client.get("/credit-notes", params={"order_id": order_id})).json()
    [note] = notes["items"]
    assert (note["return_id"], note["return_number"], note["reason"]) == (
        "r1",
        "RMA-r1",
        "Return RMA-r1: wrong size",
    )
    assert [(x["sku"], x["quantity"], x["gross_amount"]) for x in note["lines"]] == [
        ("BOLT-M8", "2", "6.05"),
        ("NUT-M8", "1", "1.51"),
    ]
    assert _state(await billing.get(invoice["id"])) == ("issued", "0.00", "7.56", "125.54")
    [(key, issued)] = await billing.published(EventType.CREDIT_NOTE_ISSUED)
    assert (key, issued["data"]["return_id"]) == (order_id.encode(), "r1")
    assert issued["causationid"] == event.id
