"""The HTTP API on a running service: creation, events on orders.events, errors as problems."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event

from contracts import EventType
from servicekit import dlq
from servicekit.testing import eventually

PROBLEM_JSON = "application/problem+json"


MADRID = {"line1": "Calle Mayor 1", "postal_code": "28013", "city": "Madrid", "country": "ES"}


async def new_customer(service: Any, name: str = "Ромашка Trading, S.L.") -> dict[str, Any]:
    customer: dict[str, Any] = await service.new_customer(name, billing_address=MADRID)
    return customer


def order_body(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "payment_terms": {"days": 14, "text": "Net 14 days"},
        "lines": [
            {
                "sku": "BOLT-10",
                "kind": "product",
                "description": "Bolts",
                "quantity": "10",
                "unit_price": "2.50",
                "tax_rate": "21",
            },
            {
                "sku": "NUT-4",
                "kind": "product",
                "description": "Nuts",
                "quantity": "4",
                "unit_price": "1.25",
                "tax_rate": "21",
            },
            {
                "sku": "INSTALL",
                "kind": "service",
                "description": "Installation on site",
                "quantity": "1",
                "unit_price": "80.00",
                "discount_percent": "12.5",
                "tax_rate": "10",
            },
        ],
        **extra,
    }


async def new_order(service: Any, customer_id: str, **extra: Any) -> dict[str, Any]:
    order: dict[str, Any] = await service.created("/orders", order_body(customer_id, **extra))
    return order


async def events_of(service: Any, order_id: str) -> list[Any]:
    records = await dlq.read_topic(service.kafka, service.kafka.topic("orders.events"))
    return [r for r in records if r.key == order_id.encode()]


async def test_create_and_confirm_publish_keyed_events_and_fill_the_timeline(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = await new_customer(orders_service)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = order_body(customer["id"], customer_reference="PO-7781")
    created = await client.post("/orders", json=body, headers=key)
    assert created.status_code == 201, created.text
    order = created.json()
    retried = await client.post("/orders", json=body, headers=key)
    assert (retried.status_code, retried.json()) == (201, order)  # the first answer, nothing new

    assert re.fullmatch(r"SO-\d{4}-\d{6}", order["number"])
    assert (order["status"], order["fulfilment"], order["billing"]) == (
        "draft",
        "unreserved",
        "not_invoiced",
    )
    assert order["customer"] == {
        "id": customer["id"],
        "name": customer["name"],
        "email": customer["email"],
    }
    assert order["billing_address"] == order["shipping_address"] == customer["billing_address"]
    # 25.00 + 5.00 at 21 %; 80.00 less 12.5 % = 70.00 at 10 %
    assert order["totals"] == {
        "net": "100.00",
        "tax": "13.30",
        "gross": "113.30",
        "taxes": [
            {"rate": "21", "base": "30.00", "amount": "6.30"},
            {"rate": "10", "base": "70.00", "amount": "7.00"},
        ],
    }
    assert order["lines"][2] | {"description": None} == {
        "line_no": 3,
        "sku": "INSTALL",
        "kind": "service",
        "description": None,
        "quantity": "1",
        "unit_price": "80.00",
        "discount_percent": "12.5",
        "tax_rate": "10",
        "net_amount": "70.00",
        "tax_amount": "7.00",
        "gross_amount": "77.00",
        "shipped_quantity": "0",
        "cancelled_quantity": "0",
        "returned_quantity": "0",
        "requested_delivery_date": None,
        "promised_delivery_date": None,
    }

    confirmed = await client.post(f"/orders/{order['id']}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["fulfilment"]) == ("open", "reserving")

    async def both_published() -> list[Any] | None:
        found = await events_of(orders_service, order["id"])
        return found if len(found) >= 2 else None

    records = await eventually(both_published, within=20)
    events = [json.loads(r.value) for r in records]
    assert [e["type"] for e in events] == [EventType.ORDER_CREATED, EventType.ORDER_CONFIRMED]
    assert {e["subject"] for e in events} == {order["id"]}
    assert {e["source"] for e in events} == {"/orders"}
    snapshot = events[1]["data"]["order"]
    assert (snapshot["number"], snapshot["totals"]["gross"]) == (order["number"], "113.30")
    assert snapshot["customer_reference"] == "PO-7781"
    assert len(snapshot["lines"]) == 3

    timeline = (await client.get(f"/orders/{order['id']}/timeline")).json()["items"]
    assert [(e["type"], e["event_id"]) for e in timeline] == [(e["type"], e["id"]) for e in events]
    assert timeline[0]["summary"] == f"Order {order['number']} created: 3 line(s), 113.30 EUR"

    # Once confirmed, the order is no longer editable, and it cannot be completed before shipping.
    patched = await client.patch(f"/orders/{order['id']}", json={"contact": "Ana"})
    assert patched.status_code == 409
    assert patched.headers["content-type"] == PROBLEM_JSON
    assert patched.json()["current_status"] == "open"
    premature = await client.post(f"/orders/{order['id']}/complete")
    assert premature.status_code == 409
    assert premature.headers["content-type"] == PROBLEM_JSON
    assert "open" in premature.json()["detail"]
    unchanged = (await client.get(f"/orders/{order['id']}")).json()
    assert (unchanged["status"], unchanged["contact"]) == ("open", None)


async def test_a_draft_can_be_edited_and_cancelled(orders_service: Any) -> None:
    client = orders_service.client
    customer = await new_customer(orders_service)
    order = await new_order(orders_service, customer["id"])
    patched = await client.patch(
        f"/orders/{order['id']}",
        json={
            "contact": "Ana",
            "lines": [
                {
                    "sku": "INSTALL",
                    "kind": "service",
                    "description": "Installation",
                    "quantity": "2",
                    "unit_price": "50",
                    "tax_rate": "21",
                }
            ],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["contact"] == "Ana"
    assert [line["sku"] for line in patched.json()["lines"]] == ["INSTALL"]
    assert patched.json()["totals"]["gross"] == "121.00"
    null_currency = await client.patch(f"/orders/{order['id']}", json={"currency": None})
    assert null_currency.status_code == 422

    cancelled = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "duplicate"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/orders/{order['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["current_status"] == "cancelled"
    confirm = await client.post(f"/orders/{order['id']}/confirm")
    assert confirm.status_code == 409


async def test_invalid_requests_are_problems_naming_the_field(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = await new_customer(orders_service)
    body = order_body(customer["id"])
    body["lines"][0]["quantity"] = "-1"
    response = await client.post("/orders", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in response.json()["errors"]] == ["body.lines.0.quantity"]

    body = order_body(customer["id"], surprise=True)
    body["lines"][1]["unit_price"] = "1.00001"  # prices have up to 4 decimals
    fields = {e["field"] for e in (await client.post("/orders", json=body)).json()["errors"]}
    assert fields == {"body.surprise", "body.lines.1.unit_price"}

    for currency in ("XXQ", "eur"):  # not an ISO 4217 code
        body = order_body(customer["id"], currency=currency)
        refused = await client.post("/orders", json=body)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["body.currency"]
    assert (
        "'XXQ' is not an ISO 4217 currency code"
        in (await client.post("/orders", json=order_body(customer["id"], currency="XXQ"))).text
    )

    unknown = await client.post("/orders", json=order_body(str(uuid.uuid4())))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.customer_id"

    no_lines = await client.post("/orders", json=order_body(customer["id"], lines=[]))
    assert [e["field"] for e in no_lines.json()["errors"]] == ["body.lines"]

    for path in (f"/orders/{uuid.uuid4()}", "/orders/not-an-id", f"/customers/{uuid.uuid4()}"):
        missing = await client.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"] == PROBLEM_JSON
    assert (await client.post(f"/orders/{uuid.uuid4()}/confirm")).status_code == 404


async def test_amounts_are_in_each_currency_minor_unit(orders_service: Any) -> None:
    customer = await new_customer(orders_service)
    line = {"sku": "TEA", "kind": "product", "description": "Tea", "tax_rate": "10"}
    # JPY has no minor unit: 3 × 333.5 = 1000.5 → 1001 yen; BHD has 3: 3 × 0.415 = 1.245.
    yen = await new_order(
        orders_service,
        customer["id"],
        currency="JPY",
        lines=[{**line, "quantity": "3", "unit_price": "333.5"}],
    )
    dinars = await new_order(
        orders_service,
        customer["id"],
        currency="BHD",
        lines=[{**line, "quantity": "3", "unit_price": "0.415"}],
    )
    for order, net, tax, gross, price in (
        (yen, "1001", "100", "1101", "333.5"),
        (dinars, "1.245", "0.125", "1.370", "0.415"),
    ):
        again = (await orders_service.client.get(f"/orders/{order['id']}")).json()
        for answer in (order, again):  # as computed, and as read back from NUMERIC(20, 4)
            totals = answer["totals"]
            assert (totals["net"], totals["tax"], totals["gross"]) == (net, tax, gross)
            [first] = answer["lines"]
            assert (first["unit_price"], first["gross_amount"]) == (price, gross)

    # Changing the currency of a draft reprices its lines in the new minor unit.
    changed = await orders_service.client.patch(f"/orders/{yen['id']}", json={"currency": "EUR"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["totals"]["gross"] == "1100.55"  # 1000.50 net + 100.05 tax


@contextlib.contextmanager
def order_statements(service: Any) -> Iterator[list[tuple[str, bool]]]:
    """The statements about orders sent while the block runs, each with whether its connection
    was in autocommit (no transaction around it)."""
    sent: list[tuple[str, bool]] = []
    engine = service.runtime.engine.sync_engine

    def record(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if " orders" in statement:  # not the relay's nor the background loops' statements
            sent.append((statement, connection.connection.dbapi_connection.autocommit))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_reads_run_without_a_transaction_and_changes_in_one(orders_service: Any) -> None:
    customer = await new_customer(orders_service)
    order = await new_order(orders_service, customer["id"])
    client = orders_service.client

    with order_statements(orders_service) as reads:
        assert (await client.get(f"/orders/{order['id']}")).status_code == 200
        assert (await client.get("/orders", params={"q": order["number"]})).status_code == 200
        listed = await client.get(f"/customers/{customer['id']}/orders")
        assert listed.json()["items"][0]["id"] == order["id"]
    assert reads
    assert all(autocommit for _, autocommit in reads), reads

    with order_statements(orders_service) as change:
        confirmed = await client.post(f"/orders/{order['id']}/confirm")
        assert confirmed.status_code == 200, confirmed.text
    assert change
    assert not any(autocommit for _, autocommit in change), change


async def test_a_summary_list_shows_each_orders_header_as_the_full_list_does(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = await new_customer(orders_service, name=f"Summaries {uuid.uuid4().hex[:8]}")
    made = [await new_order(orders_service, customer["id"]) for _ in range(3)]
    await client.post(f"/orders/{made[0]['id']}/confirm")
    path = f"/customers/{customer['id']}/orders"

    full = (await client.get(path)).json()["items"]
    summaries: list[dict[str, Any]] = []
    cursor = None
    while True:  # paged two at a time, with the cursors the full view uses
        params: dict[str, Any] = {"view": "summary", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(path, params=params)).json()
        summaries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [s["id"] for s in summaries] == [o["id"] for o in full]
    for summary, order in zip(summaries, full, strict=True):
        assert "lines" not in summary
        assert summary["customer_id"] == order["customer"]["id"]
        assert summary["customer"] == order["customer"]  # id, name and e-mail
        for field in ("number", "status", "fulfilment", "billing", "currency", "order_date"):
            assert summary[field] == order[field], field
        assert summary["totals"] == {k: order["totals"][k] for k in ("net", "tax", "gross")}
    assert summaries[-1]["status"] == "open"  # the oldest, confirmed

    same = await client.get("/orders", params={"customer_id": customer["id"], "view": "summary"})
    assert same.json()["items"] == summaries
    bad = await client.get("/orders", params={"view": "brief"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.view"


async def test_lists_filter_and_page(orders_service: Any) -> None:
    client = orders_service.client
    marker = uuid.uuid4().hex[:8]
    customer = await new_customer(orders_service, name=f"Pager {marker}")
    made = [
        await new_order(orders_service, customer["id"], order_date=f"2025-01-0{day}")
        for day in (1, 2, 3)
    ]
    await client.post(f"/orders/{made[0]['id']}/confirm")

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"customer_id": customer["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/orders", params=params)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in reversed(made)]  # newest first, each once

    drafts = await client.get("/orders", params={"customer_id": customer["id"], "status": "draft"})
    assert {o["id"] for o in drafts.json()["items"]} == {made[1]["id"], made[2]["id"]}
    dated = await client.get(
        "/orders",
        params={"customer_id": customer["id"], "date_from": "2025-01-02", "date_to": "2025-01-02"},
    )
    assert [o["id"] for o in dated.json()["items"]] == [made[1]["id"]]
    bad = await client.get("/orders", params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.status"
    assert (await client.get("/orders", params={"cursor": "!!"})).status_code == 422

    key = {"Idempotency-Key": f"customer-{marker}"}
    body = {"name": f"Pager {marker} twin", "email": f"twin-{marker}@example.com"}
    first = await client.post("/customers", json=body, headers=key)
    again = await client.post("/customers", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    reused = await client.post("/customers", json={**body, "name": "Other"}, headers=key)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "header.Idempotency-Key"

    found = (await client.get("/customers", params={"q": f"Pager {marker}"})).json()
    assert [c["id"] for c in found["items"]] == [customer["id"], first.json()["id"]]
    found = (await client.get("/customers", params={"q": marker, "limit": 1})).json()
    assert found["next_cursor"] is not None
    rest = await client.get("/customers", params={"q": marker, "cursor": found["next_cursor"]})
    assert [c["id"] for c in rest.json()["items"]] == [first.json()["id"]]
    found = (await client.get("/customers", params={"q": f"{marker} twin"})).json()
    assert [c["id"] for c in found["items"]] == [first.json()["id"]]
    created = {name: value for name, value in customer.items() if name != "warnings"}
    assert (await client.get(f"/customers/{customer['id']}")).json() == created
