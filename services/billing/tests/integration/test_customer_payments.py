"""Customer payments against a real Kafka broker and a real PostgreSQL server: one payment
settling several invoices, credit, its application and refund, reversals."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from billing_harness import CUSTOMER, Billing, balances, credit, invoices, post
from sqlalchemy import func, select

from billing.adapters.payment_tables import customer_payments, refunds
from contracts import EventType


async def test_one_payment_settles_three_invoices_oldest_first_and_the_rest_is_refunded(
    billing: Billing, make_order: Any
) -> None:
    # Due in 30, 10 and 20 days: oldest due first is the second, the third, then the first.
    late, early, middle = await invoices(billing, make_order, 30, 10, 20)
    [other] = await invoices(billing, make_order, 5, customer={"id": "someone-else", "name": "X"})

    key = str(uuid.uuid4())
    body = {
        "customer_id": CUSTOMER["id"],
        "currency": "EUR",
        "amount": "450.00",
        "method": "bank_transfer",
        "reference": "statement 2025-03 line 7",
        "received_at": "2025-03-20T10:00:00+00:00",
    }
    response = await post(billing, "/payments", body, key)
    assert response.status_code == 201, response.text
    payment = response.json()
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [
        (early["id"], "133.10"),
        (middle["id"], "133.10"),
        (late["id"], "133.10"),
    ]
    assert (payment["allocated_total"], payment["unallocated"], payment["status"]) == (
        "399.30",
        "50.70",
        "received",
    )
    retry = await post(billing, "/payments", body, key)
    assert (retry.status_code, retry.json()) == (201, payment)

    settled = [await billing.get(i["id"]) for i in (early, middle, late)]
    assert balances(*settled) == [("paid", "133.10", "0.00")] * 3
    assert settled[0]["payments"][0]["payment_id"] == payment["id"]
    assert balances(await billing.get(other["id"])) == [("issued", "0.00", "133.10")]
    assert await credit(billing) == [{"currency": "EUR", "amount": "50.70"}]

    events = await billing.published(EventType.PAYMENT_RECEIVED)
    # One per invoice, keyed by its order (the topic's partitions do not keep them in order).
    assert sorted(
        (key, e["data"]["invoice_id"], e["data"]["status"]) for key, e in events
    ) == sorted((i["order_id"].encode(), i["id"], "paid") for i in (early, middle, late))
    assert {e["data"]["payment_id"] for _, e in events} == {payment["id"]}
    assert {e["data"]["reference"] for _, e in events} == {body["reference"]}

    # Never more than the credit; then all of it.
    too_much = {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": "50.71"}
    refused = await post(billing, "/refunds", too_much)
    assert refused.status_code == 409, refused.text
    assert "exceeds the customer's credit of 50.70" in refused.json()["detail"]
    wrong_currency = await post(billing, "/refunds", {**too_much, "currency": "USD"})
    assert wrong_currency.status_code == 409
    refund = await post(
        billing,
        "/refunds",
        {**too_much, "amount": "50.70", "reference": "refund wire", "reason": "overpaid"},
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["parts"] == [{"payment_id": payment["id"], "amount": "50.70"}]
    assert await credit(billing) == []
    again = await post(billing, "/refunds", {**too_much, "amount": "0.01"})
    assert again.status_code == 409
    listed = await billing.client.get("/refunds", params={"customer_id": CUSTOMER["id"]})
    assert [r["id"] for r in listed.json()["items"]] == [refund.json()["id"]]
    [(refund_key, refund_event)] = await billing.published(EventType.REFUND_PAID)
    assert refund_key == CUSTOMER["id"].encode()
    assert (refund_event["data"]["amount"], refund_event["data"]["credit_left"]) == (
        "50.70",
        "0.00",
    )

    # A refunded payment cannot bounce any more: the refund would have to be undone first.
    reversal = await post(billing, f"/payments/{payment['id']}/reversal", {"reason": "bounced"})
    assert reversal.status_code == 409
    assert "refunded" in reversal.json()["detail"]
    stored = await billing.client.get(f"/payments/{payment['id']}")
    assert (stored.json()["refunded_total"], stored.json()["unallocated"]) == ("50.70", "0.00")


async def test_a_reversal_reopens_the_invoices_it_settled_and_takes_its_credit(
    billing: Billing, make_order: Any
) -> None:
    first, second, third = await invoices(billing, make_order, 10, 20, 30)
    body = {
        "customer_id": CUSTOMER["id"],
        "currency": "EUR",
        "amount": "200.00",
        "method": "other",
        "reference": "cheque 000123",
        "allocations": [
            {"invoice_id": second["id"], "amount": "133.10"},
            {"invoice_id": first["id"], "amount": "50.00"},
        ],
    }
    response = await post(billing, "/payments", body)
    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment["unallocated"] == "16.90"
    assert balances(await billing.get(first["id"]), await billing.get(second["id"])) == [
        ("partially_paid", "50.00", "83.10"),
        ("paid", "133.10", "0.00"),
    ]

    reversal = {"reason": "cheque bounced", "reversed_at": "2025-03-25T08:00:00+00:00"}
    reversed_ = await post(billing, f"/payments/{payment['id']}/reversal", reversal)
    assert reversed_.status_code == 200, reversed_.text
    assert (reversed_.json()["status"], reversed_.json()["reversal_reason"]) == (
        "reversed",
        "cheque bounced",
    )
    assert reversed_.json()["unallocated"] == "0.00"
    reopened = [await billing.get(i["id"]) for i in (first, second, third)]
    assert balances(*reopened) == [("issued", "0.00", "133.10")] * 3
    assert reopened[1]["payments"][0]["reversed_at"] is not None
    assert await credit(billing) == []

    twice = await post(billing, f"/payments/{payment['id']}/reversal", reversal)
    assert twice.status_code == 409
    assert "already reversed" in twice.json()["detail"]
    events = await billing.published(EventType.PAYMENT_REVERSED)
    assert sorted(
        (e["data"]["invoice_id"], e["data"]["amount"], e["data"]["status"]) for _, e in events
    ) == sorted([(second["id"], "133.10", "issued"), (first["id"], "50.00", "issued")])
    assert {key for key, _ in events} == {first["order_id"].encode(), second["order_id"].encode()}
    assert {e["data"]["reason"] for _, e in events} == {"cheque bounced"}

    # A payment recorded on one invoice is a customer payment too, and can be reversed.
    single = await billing.pay(third["id"], {"amount": "33.10"})
    assert single.status_code == 201, single.text
    listed = await billing.client.get(
        "/payments", params={"customer_id": CUSTOMER["id"], "status": "received"}
    )
    assert [p["id"] for p in listed.json()["items"]] == [single.json()["id"]]
    undone = await post(billing, f"/payments/{single.json()['id']}/reversal", {"reason": "card"})
    assert undone.status_code == 200, undone.text
    assert balances(await billing.get(third["id"])) == [("issued", "0.00", "133.10")]


async def test_credit_is_allocated_later_as_chosen_or_oldest_first(
    billing: Billing, make_order: Any
) -> None:
    first, second = await invoices(billing, make_order, 10, 20)
    kept = await post(
        billing,
        "/payments",
        {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": "150.00", "allocations": []},
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["allocations"] == []
    assert await credit(billing) == [{"currency": "EUR", "amount": "150.00"}]

    chosen = await post(
        billing,
        f"/customers/{CUSTOMER['id']}/credit/allocations",
        {"currency": "EUR", "allocations": [{"invoice_id": second["id"], "amount": "100.00"}]},
    )
    assert chosen.status_code == 200, chosen.text
    assert [(a["invoice_id"], a["amount"]) for a in chosen.json()["allocations"]] == [
        (second["id"], "100.00")
    ]
    assert chosen.json()["credit_left"] == "50.00"

    oldest = await post(billing, f"/payments/{kept.json()['id']}/allocations", {})
    assert oldest.status_code == 200, oldest.text
    assert [(a["invoice_id"], a["amount"]) for a in oldest.json()["allocations"]] == [
        (second["id"], "100.00"),
        (first["id"], "50.00"),
    ]
    assert balances(await billing.get(first["id"]), await billing.get(second["id"])) == [
        ("partially_paid", "50.00", "83.10"),
        ("partially_paid", "100.00", "33.10"),
    ]
    assert await credit(billing) == []
    nothing_left = await post(
        billing,
        f"/customers/{CUSTOMER['id']}/credit/allocations",
        {"currency": "EUR", "allocations": [{"invoice_id": first["id"], "amount": "0.01"}]},
    )
    assert nothing_left.status_code == 409


async def test_bad_allocations_are_refused_and_record_nothing(
    billing: Billing, make_order: Any
) -> None:
    [mine] = await invoices(billing, make_order, 10)
    [theirs] = await invoices(billing, make_order, 10, customer={"id": "other", "name": "O"})
    [dollars] = await invoices(billing, make_order, 10, currency="USD")
    base = {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": "100.00"}

    def allocating(invoice: dict[str, Any], amount: str = "10.00") -> dict[str, Any]:
        return {**base, "allocations": [{"invoice_id": invoice["id"], "amount": amount}]}

    for body, status, field in (
        (allocating(theirs), 422, "body.allocations.0.invoice_id"),
        (allocating(dollars), 422, "body.allocations.0.invoice_id"),
        ({**allocating(mine), "currency": "XYZ"}, 422, "body.currency"),
        (
            {**base, "allocations": [{"invoice_id": str(uuid.uuid4()), "amount": "1.00"}]},
            422,
            "body.allocations.0.invoice_id",
        ),
        (
            {**base, "allocations": [{"invoice_id": mine["id"], "amount": "1.00"}] * 2},
            422,
            "body.allocations.1.invoice_id",
        ),
        ({**allocating(mine), "amount": "0"}, 422, "body.amount"),
        (allocating(mine, "100.01"), 409, None),  # above the payment
        ({**allocating(mine, "133.11"), "amount": "200.00"}, 409, None),  # above the invoice
    ):
        response = await post(billing, "/payments", body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if field is not None:
            assert field in [e["field"] for e in response.json()["errors"]], response.text

    assert await billing.count(select(func.count()).select_from(customer_payments)) == 0
    assert await billing.count(select(func.count()).select_from(refunds)) == 0
    assert balances(await billing.get(mine["id"])) == [("issued", "0.00", "133.10")]
    unknown = await post(billing, f"/payments/{uuid.uuid4()}/reversal", {"reason": "x"})
    assert unknown.status_code == 404
    assert Decimal((await billing.get(mine["id"]))["balance"]) == Decimal("133.10")


async def test_concurrent_payments_settle_each_invoice_once_and_keep_the_rest_as_credit(
    billing: Billing, make_order: Any
) -> None:
    settled = await invoices(billing, make_order, 10, 20, 30)  # 3 x 133.10 = 399.30
    body = {"customer_id": CUSTOMER["id"], "currency": "EUR", "amount": "150.00"}
    responses = await asyncio.gather(*(post(billing, "/payments", body) for _ in range(4)))
    assert [r.status_code for r in responses] == [201] * 4
    allocated = sum(Decimal(r.json()["allocated_total"]) for r in responses)
    assert allocated == Decimal("399.30")
    assert (
        balances(*[await billing.get(i["id"]) for i in settled]) == [("paid", "133.10", "0.00")] * 3
    )
    assert await credit(billing) == [{"currency": "EUR", "amount": "200.70"}]
