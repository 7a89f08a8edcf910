"""The billing service against a real Kafka broker and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_builders import completed, confirmed, shipped
from billing_harness import Billing
from sqlalchemy import func, select

from billing.adapters.tables import invoice_number_counters, invoices, payments
from billing.adapters.unit_of_work import SqlUnitOfWork
from billing.domain.recurrence import periods_due
from billing.service_layer.recurring import run_recurring
from contracts import EventType
from servicekit import dlq
from servicekit.testing import eventually


async def test_a_completed_order_gets_exactly_one_invoice_and_one_event(
    billing: Billing, make_order: Any
) -> None:
    order = make_order(payment_days=14)  # 110.00 + 23.10 tax = 133.10
    first, again = completed(order), completed(order)  # the same fact under two event ids
    for event in (first, first, again):  # the first one is also delivered twice
        await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(first.id, again.id))

    [invoice] = await billing.invoices_of(order.order_id)
    today = datetime.now(UTC).date()
    assert re.fullmatch(rf"INV-{today.year}-000001", invoice["number"])
    assert invoice["status"] == "issued"
    assert (invoice["order_id"], invoice["order_number"]) == (order.order_id, order.number)
    assert invoice["customer"] == {
        "id": "cust-1",
        "name": "Ромашка Trading, S.L.",
        "email": "ap@example.com",
    }
    assert invoice["billing_address"]["city"] == "Madrid"
    assert invoice["issue_date"] == today.isoformat()
    assert invoice["due_date"] == (today + timedelta(days=14)).isoformat()
    assert invoice["payment_terms"] == {"days": 14, "text": "Net 14 days"}
    assert invoice["totals"] == {
        "net": "110.00",
        "tax": "23.10",
        "gross": "133.10",
        "taxes": [{"rate": "21", "base": "110.00", "amount": "23.10"}],
    }
    assert (invoice["paid_total"], invoice["balance"], invoice["payments"]) == (
        "0.00",
        "133.10",
        [],
    )
    lines = [(x["line_no"], x["sku"], x["quantity"], x["gross_amount"]) for x in invoice["lines"]]
    assert lines == [
        (1, "BOLT-M8", "10", "30.25"),
        (2, "NUT-M8", "4", "6.05"),
        (3, "INSTALL", "1", "96.80"),
    ]
    assert await billing.get(invoice["id"]) == invoice

    [(key, issued)] = await billing.published(EventType.INVOICE_ISSUED)
    assert key == order.order_id.encode()
    assert issued["subject"] == order.order_id
    assert (issued["correlationid"], issued["causationid"]) == (first.correlationid, first.id)
    data = issued["data"]
    assert (data["invoice_id"], data["number"]) == (invoice["id"], invoice["number"])
    assert (data["totals"]["gross"], data["due_date"]) == ("133.10", invoice["due_date"])
    assert (data["customer_reference"], data["opening_text"], data["closing_text"]) == (
        "PO-4711",
        "Thank you for your order.",
        "Kind regards.",
    )
    assert await billing.count(select(func.count()).select_from(invoices)) == 1
    counter = select(invoice_number_counters.c.last_number)
    assert await billing.count(counter) == 1  # the duplicate took no number


async def test_payments_settle_the_balance_once_each(billing: Billing, make_order: Any) -> None:
    order = make_order()
    await billing.publish(completed(order), order.order_id)
    invoice = await billing.invoice_for(order)

    key = str(uuid.uuid4())
    first = await billing.pay(invoice["id"], {"amount": "100.00", "reference": "wire 1"}, key)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["invoice_id"], body["amount"], body["currency"]) == (
        invoice["id"],
        "100.00",
        "EUR",
    )
    assert (body["method"], body["reference"]) == ("bank_transfer", "wire 1")
    assert body["invoice"] == {
        "status": "partially_paid",
        "paid_total": "100.00",
        "balance": "33.10",
    }

    # A retry with the same key answers the first response and pays nothing more.
    retry = await billing.pay(invoice["id"], {"amount": "100.00", "reference": "wire 1"}, key)
    assert (retry.status_code, retry.json()) == (201, body)
    reused = await billing.pay(invoice["id"], {"amount": "5.00"}, key)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "header.Idempotency-Key"

    # Above the balance: refused, and nothing changes.
    too_much = await billing.pay(invoice["id"], {"amount": "33.11"})
    assert too_much.status_code == 409
    assert too_much.headers["content-type"] == "application/problem+json"
    assert "exceeds the balance of 33.10" in too_much.json()["detail"]
    after_refusal = await billing.get(invoice["id"])
    assert (after_refusal["status"], after_refusal["paid_total"], after_refusal["balance"]) == (
        "partially_paid",
        "100.00",
        "33.10",
    )
    assert [p["id"] for p in after_refusal["payments"]] == [body["id"]]

    received_at = "2025-03-12T09:30:00+01:00"
    last = await billing.pay(
        invoice["id"], {"amount": "33.10", "method": "card", "received_at": received_at}
    )
    assert last.status_code == 201, last.text
    assert last.json()["invoice"] == {"status": "paid", "paid_total": "133.10", "balance": "0.00"}
    on_paid = await billing.pay(invoice["id"], {"amount": "0.01"})
    assert on_paid.status_code == 409
    assert "already paid" in on_paid.json()["detail"]

    paid = await billing.get(invoice["id"])
    assert (paid["status"], paid["paid_total"], paid["balance"]) == ("paid", "133.10", "0.00")
    assert [(p["amount"], p["method"]) for p in paid["payments"]] == [
        ("100.00", "bank_transfer"),
        ("33.10", "card"),
    ]
    assert datetime.fromisoformat(paid["payments"][1]["received_at"]) == datetime.fromisoformat(
        received_at
    )
    assert await billing.count(select(func.count()).select_from(payments)) == 2
    paid_list = await billing.client.get("/invoices", params={"status": "paid"})
    assert [i["id"] for i in paid_list.json()["items"]] == [invoice["id"]]

    events = await billing.published(EventType.PAYMENT_RECEIVED)
    assert [key for key, _ in events] == [order.order_id.encode()] * 2
    assert [
        (e["data"]["amount"], e["data"]["paid_total"], e["data"]["balance"], e["data"]["status"])
        for _, e in events
    ] == [("100.00", "100.00", "33.10", "partially_paid"), ("33.10", "133.10", "0.00", "paid")]
    assert {e["data"]["invoice_number"] for _, e in events} == {invoice["number"]}
    assert events[0][1]["data"]["payment_id"] == body["id"]


async def test_concurrent_payments_neither_overpay_nor_pay_twice(
    billing: Billing, make_order: Any
) -> None:
    order = make_order()  # 133.10
    await billing.publish(completed(order), order.order_id)
    invoice = await billing.invoice_for(order)

    responses = await asyncio.gather(
        *(billing.pay(invoice["id"], {"amount": "50.00"}) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [201, 201, 409, 409, 409, 409]
    settled = await billing.get(invoice["id"])
    assert (settled["paid_total"], settled["balance"], len(settled["payments"])) == (
        "100.00",
        "33.10",
        2,
    )

    # A client retrying while its first attempt is still running gets that attempt's answer.
    key = str(uuid.uuid4())
    retries = await asyncio.gather(
        *(billing.pay(invoice["id"], {"amount": "33.10"}, key) for _ in range(4))
    )
    assert [r.status_code for r in retries] == [201] * 4
    assert len({r.json()["id"] for r in retries}) == 1
    paid = await billing.get(invoice["id"])
    assert (paid["status"], paid["paid_total"], len(paid["payments"])) == ("paid", "133.10", 3)


async def test_invalid_payment_bodies_name_the_field(billing: Billing, make_order: Any) -> None:
    order = make_order()
    await billing.publish(completed(order), order.order_id)
    invoice = await billing.invoice_for(order)

    for body, field in (
        ({}, "body.amount"),
        ({"amount": "-5.00"}, "body.amount"),
        ({"amount": "0"}, "body.amount"),
        ({"amount": "10.001"}, "body.amount"),
        ({"amount": "10.00", "method": "cheque"}, "body.method"),
        ({"amount": "10.00", "reference": "x" * 201}, "body.reference"),
        ({"amount": "10.00", "received_at": "2025-03-12T09:30:00"}, "body.received_at"),
        ({"amount": "10.00", "currency": "USD"}, "body.currency"),
    ):
        response = await billing.pay(invoice["id"], body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.text)

    unknown = await billing.pay(str(uuid.uuid4()), {"amount": "1.00"})
    assert unknown.status_code == 404
    assert (await billing.get(invoice["id"]))["payments"] == []


async def test_an_order_that_does_not_add_up_is_dead_lettered_and_the_next_is_invoiced(
    billing: Billing, make_order: Any
) -> None:
    good = make_order()
    bad = make_order()
    bad = bad.model_copy(
        update={"totals": bad.totals.model_copy(update={"gross": Decimal("133.11")})}
    )
    later = make_order([("SVC", "2", "45.00", "10", "21")], customer={"id": "c2", "name": "Two"})
    refused = completed(bad)
    await billing.publish(refused, bad.order_id)
    await billing.publish(completed(good), good.order_id)
    await billing.publish(completed(later), later.order_id)

    await billing.invoice_for(good)
    await billing.invoice_for(later)
    letters = await eventually(
        lambda: dlq.read_dead_letters(billing.kafka, billing.kafka.topic("orders.events.dlq"))
    )
    assert [json.loads(letter.value or b"{}")["id"] for letter in letters] == [refused.id]
    [letter] = letters
    assert letter.original_topic == billing.kafka.topic("orders.events")
    assert letter.headers[dlq.ERROR_TYPE] == "PermanentError"
    assert "totals.gross is 133.11, but the lines add up to 133.10" in letter.error
    assert bad.number in letter.error
    assert await billing.invoices_of(bad.order_id) == []

    # Listing: newest first, paginated with an opaque cursor, filtered by customer.
    page1 = (await billing.client.get("/invoices", params={"limit": 1})).json()
    assert page1["next_cursor"]
    page2 = (
        await billing.client.get("/invoices", params={"limit": 1, "cursor": page1["next_cursor"]})
    ).json()
    assert page2["next_cursor"] is None
    # Newest first: invoices made in one transaction (one consumed batch) are equally new.
    made = [page1["items"][0]["created_at"], page2["items"][0]["created_at"]]
    assert datetime.fromisoformat(made[0]) >= datetime.fromisoformat(made[1])
    assert {page1["items"][0]["order_id"], page2["items"][0]["order_id"]} == {
        good.order_id,
        later.order_id,
    }
    by_customer = (await billing.client.get("/invoices", params={"customer_id": "c2"})).json()
    assert [i["order_id"] for i in by_customer["items"]] == [later.order_id]
    assert by_customer["items"][0]["totals"]["gross"] == "98.01"  # 81.00 net + 17.01 tax
    bad_cursor = await billing.client.get("/invoices", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422
    bad_status = await billing.client.get("/invoices", params={"status": "void"})
    assert bad_status.status_code == 422


async def test_amounts_are_in_each_currency_minor_unit(billing: Billing, make_order: Any) -> None:
    # JPY has no minor unit: 3 × 333.5 = 1000.5 → 1001 yen, 10 % → 100 yen.
    yen = make_order([("GADGET", "3", "333.5", "0", "10")], currency="JPY")
    # BHD has 3: 3 × 0.415 = 1.245 dinars (not 1.25), 10 % = 0.1245 → 0.125.
    dinar = make_order([("TEA", "3", "0.415", "0", "10")], currency="BHD")
    for order in (yen, dinar):
        await billing.publish(completed(order), order.order_id)

    def at_ten_percent(net: str, tax: str, gross: str) -> dict[str, Any]:
        taxes = [{"rate": "10", "base": net, "amount": tax}]
        return {"net": net, "tax": tax, "gross": gross, "taxes": taxes}

    in_yen = await billing.invoice_for(yen)
    assert in_yen["totals"] == at_ten_percent("1001", "100", "1101")
    assert (in_yen["lines"][0]["unit_price"], in_yen["balance"]) == ("333.5", "1101")
    in_dinars = await billing.invoice_for(dinar)
    assert in_dinars["totals"] == at_ten_percent("1.245", "0.125", "1.370")

    # A payment in fils is taken; a fraction of a yen is not (422 naming the amount).
    paid = await billing.pay(in_dinars["id"], {"amount": "1.005"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["invoice"]["balance"] == "0.365"
    fraction = await billing.pay(in_yen["id"], {"amount": "100.5"})
    assert fraction.status_code == 422, fraction.text
    assert [e["field"] for e in fraction.json()["errors"]] == ["body.amount"]
    assert (await billing.get(in_yen["id"]))["payments"] == []


async def test_a_zero_total_invoice_is_paid_when_issued(billing: Billing, make_order: Any) -> None:
    order = make_order([("FREEBIE", "1", "10.00", "100", "21")])  # 100 % discount: nothing to pay
    await billing.publish(completed(order), order.order_id)
    invoice = await billing.invoice_for(order)
    assert (invoice["status"], invoice["totals"]["gross"], invoice["balance"]) == (
        "paid",
        "0.00",
        "0.00",
    )
    [(_, issued)] = await billing.published(EventType.INVOICE_ISSUED)
    assert issued["data"]["status"] == "paid"
    refused = await billing.pay(invoice["id"], {"amount": "1.00"})
    assert refused.status_code == 409


async def test_an_order_in_an_unknown_currency_is_dead_lettered(
    billing: Billing, make_order: Any
) -> None:
    order = make_order()
    event = json.loads(completed(order).model_dump_json())
    event["data"]["order"]["currency"] = "XXQ"
    await billing.publish(json.dumps(event).encode(), order.order_id)
    letters = await eventually(
        lambda: dlq.read_dead_letters(billing.kafka, billing.kafka.topic("orders.events.dlq"))
    )
    assert [json.loads(letter.value or b"{}")["id"] for letter in letters] == [event["id"]]
    assert "'XXQ' is not an ISO 4217 currency code" in letters[0].error
    assert await billing.invoices_of(order.order_id) == []


async def test_on_delivery_two_partial_shipments_invoice_exactly_the_order(
    billing: Billing, make_order: Any
) -> None:
    # 3 × 0.333 (1.00 + 0.21 as a whole; 0.33 + 0.07 a third) and a service line: 61.71
    order = make_order([("WIDGET", "3", "0.333", "0", "21"), ("SETUP", "1", "50.00", "0", "21")])
    put = await billing.client.put(
        f"/orders/{order.order_id}/invoicing-policy", json={"policy": "on_delivery"}
    )
    assert put.status_code == 200, put.text
    assert (put.json()["policy"], put.json()["own_policy"], put.json()["state"]) == (
        "on_delivery",
        True,
        "not_invoiced",
    )
    known = confirmed(order)
    await billing.publish(known, order.order_id)
    # Shipments come on another topic: a shipment read before the order is known is invoiced
    # with the next one, so the order must be known first for one invoice per shipment.
    await eventually(lambda: billing.processed(known.id))
    first = shipped(order.order_id, "S1", ("WIDGET", "1"))
    second = shipped(order.order_id, "S2", ("WIDGET", "2"))
    for event in (first, first, second):  # the first one delivered twice
        await billing.publish(event, order.order_id, topic="inventory.events")
    await eventually(lambda: billing.processed(first.id, second.id))

    invoices = sorted(await billing.invoices_of(order.order_id), key=lambda i: i["number"])
    assert [[(x["sku"], x["quantity"]) for x in i["lines"]] for i in invoices] == [
        [("WIDGET", "1")],
        [("WIDGET", "2")],
    ]
    assert [i["totals"]["gross"] for i in invoices] == ["0.40", "0.81"]
    progress = (await billing.client.get(f"/orders/{order.order_id}/invoicing")).json()
    assert (progress["state"], progress["invoiced_total"], progress["uninvoiced_total"]) == (
        "partially_invoiced",
        "1.21",
        "60.50",
    )

    done = completed(order)
    await billing.publish(done, order.order_id)
    await eventually(lambda: billing.processed(done.id))
    invoices = sorted(await billing.invoices_of(order.order_id), key=lambda i: i["number"])
    assert [x["sku"] for x in invoices[-1]["lines"]] == ["SETUP"]  # only what was left
    assert sum(Decimal(i["totals"]["gross"]) for i in invoices) == Decimal("61.71")
    progress = (await billing.client.get(f"/orders/{order.order_id}/invoicing")).json()
    assert (progress["state"], progress["uninvoiced_total"]) == ("invoiced", "0.00")
    assert [(x["sku"], x["shipped"], x["invoiced"]) for x in progress["lines"]] == [
        ("WIDGET", "3", "3"),
        ("SETUP", "0", "1"),
    ]
    issued = [event["data"] for _, event in await billing.published(EventType.INVOICE_ISSUED)]
    assert [(d["order_total"], d["invoiced_total"]) for d in issued] == [
        ("61.71", "0.40"),
        ("61.71", "1.21"),
        ("61.71", "61.71"),
    ]


async def test_a_manual_order_is_not_invoiced_on_completion(
    billing: Billing, make_order: Any
) -> None:
    order = make_order()
    put = await billing.client.put(
        f"/orders/{order.order_id}/invoicing-policy", json={"policy": "manual"}
    )
    assert put.status_code == 200, put.text
    bad = await billing.client.put(
        f"/orders/{order.order_id}/invoicing-policy", json={"policy": "weekly"}
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["body.policy"]
    done = completed(order)
    await billing.publish(done, order.order_id)
    await eventually(lambda: billing.processed(done.id))
    assert await billing.invoices_of(order.order_id) == []
    progress = (await billing.client.get(f"/orders/{order.order_id}/invoicing")).json()
    assert (progress["policy"], progress["state"], progress["uninvoiced_total"]) == (
        "manual",
        "not_invoiced",
        "133.10",
    )
    assert (await billing.client.get("/orders/unknown/invoicing")).status_code == 404


async def test_a_manual_invoice_takes_chosen_quantities_never_beyond_what_is_left(
    billing: Billing, make_order: Any
) -> None:
    order = make_order()  # BOLT-M8 10, NUT-M8 4, INSTALL 1: 133.10
    await billing.client.put(
        f"/orders/{order.order_id}/invoicing-policy", json={"policy": "manual"}
    )
    event = confirmed(order)
    await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(event.id))
    path = f"/orders/{order.order_id}/invoices"
    body = {"lines": [{"line_no": 1, "quantity": "4"}, {"line_no": 3, "quantity": "1"}]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = await billing.client.post(path, json=body, headers=key)
    assert created.status_code == 201, created.text
    draft = created.json()  # a draft first: no number, nothing owed
    assert (draft["status"], draft["invoice_id"]) == ("draft", None)
    again = await billing.client.post(path, json=body, headers=key)  # a retry: the same answer
    assert (again.status_code, again.json()["id"]) == (201, draft["id"])
    issued = await billing.client.post(f"/invoice-drafts/{draft['id']}/issue")
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert invoice["id"] == draft["id"]
    assert [(x["sku"], x["quantity"], x["gross_amount"]) for x in invoice["lines"]] == [
        ("BOLT-M8", "4", "12.10"),
        ("INSTALL", "1", "96.80"),
    ]

    beyond = await billing.client.post(path, json={"lines": [{"line_no": 3, "quantity": "1"}]})
    assert beyond.status_code == 409, beyond.text
    assert "only 0 is not invoiced" in beyond.json()["detail"]
    unknown = await billing.client.post(path, json={"lines": [{"line_no": 9, "quantity": "1"}]})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.lines.0.line_no"]
    nobody = await billing.client.post(
        "/orders/nobody/invoices", json={"lines": [{"line_no": 1, "quantity": "1"}]}
    )
    assert nobody.status_code == 404
    assert len(await billing.invoices_of(order.order_id)) == 1

    progress = (await billing.client.get(f"/orders/{order.order_id}/invoicing")).json()
    assert (progress["state"], progress["invoiced_total"], progress["uninvoiced_total"]) == (
        "partially_invoiced",
        "108.90",
        "24.20",
    )


async def test_recurring_invoices_once_per_period_with_two_workers_at_once(
    billing: Billing, make_order: Any
) -> None:
    today = datetime.now(UTC).date()
    start = today - timedelta(days=75)
    order = make_order(recurring={"frequency": "monthly", "start": start.isoformat()})
    event = confirmed(order)
    await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(event.id))

    async def worker() -> int:
        async with billing.runtime.sessionmaker() as session, session.begin():
            run = await run_recurring(SqlUnitOfWork(session), today)
        return len(run.issued)

    counts = await asyncio.gather(worker(), worker())  # two workers at once
    counts.append(await worker())  # and a run again later
    due = periods_due("monthly", start, None, today)
    assert len(due) >= 3
    invoices = await billing.invoices_of(order.order_id)
    assert len(invoices) == len(due)  # whoever issued them (the service's own job may too)
    assert sum(counts) <= len(due)
    assert {i["totals"]["gross"] for i in invoices} == {"133.10"}
    issued = [e["data"] for _, e in await billing.published(EventType.INVOICE_ISSUED)]
    assert sorted(d["period_start"] for d in issued) == [p.isoformat() for p in due]
