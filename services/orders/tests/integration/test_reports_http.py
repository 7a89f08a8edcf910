"""The sales reports through the HTTP API of a running service (real Kafka and PostgreSQL):
each salesperson's figures are their own, their manager's both; JSON and CSV; fill rate,
cycle time and backorders from what inventory reports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import payment_received, shipment_dispatched

from contracts import EventType, new_event
from contracts.common import CustomerRef, PaymentTerms, Totals
from contracts.events import InvoiceIssued, StockReservationFailed
from servicekit.testing import bearer, eventually

ALICE = bearer("sales", subject="alice", team="north")
BOB = bearer("sales", subject="bob", team="north")
MANAGER = bearer("sales", "sales_manager", subject="nina", team="north")


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    return {"visibility": {"sales": "own", "sales_manager": "team"}}


def _line(sku: str, quantity: str, price: str) -> dict[str, str]:
    return {
        "sku": sku,
        "kind": "product",
        "description": f"Item {sku}",
        "quantity": quantity,
        "unit_price": price,
        "tax_rate": "0",
    }


async def _confirmed(client: Any, who: dict[str, str], lines: list[dict[str, str]]) -> Any:
    customer = (
        await client.post(
            "/customers",
            json={"name": who["Authorization"][-6:], "email": "r@example.com"},
            headers=who,
        )
    ).json()
    body = {"customer_id": customer["id"], "currency": "EUR", "lines": lines}
    order = (await client.post("/orders", json=body, headers=who)).json()
    confirmed = await client.post(f"/orders/{order['id']}/confirm", headers=who)
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


async def test_reports_hold_what_the_caller_sees(orders_service: Any) -> None:
    client = orders_service.client
    alices = await _confirmed(client, ALICE, [_line("A-1", "10", "5.00")])
    bobs = await _confirmed(client, BOB, [_line("B-1", "4", "25.00"), _line("A-1", "2", "5.00")])

    async def sales(who: dict[str, str], by: str) -> list[dict[str, Any]]:
        response = await client.get("/reports/sales", params={"by": by}, headers=who)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    assert [(r["key"], r["orders"], r["net"]) for r in await sales(ALICE, "owner")] == [
        ("alice", 1, "50.00")
    ]
    assert [(r["key"], r["net"]) for r in await sales(MANAGER, "owner")] == [
        ("alice", "50.00"),
        ("bob", "110.00"),
    ]
    products = {r["key"]: r for r in await sales(MANAGER, "product")}
    top = await client.get("/reports/sales", params={"by": "product", "top": 1}, headers=MANAGER)
    assert [r["key"] for r in top.json()["items"]] == ["B-1"]  # 100.00 before A-1's 60.00
    assert (products["A-1"]["orders"], products["A-1"]["quantity"]) == (2, "12.000")
    by_month = await sales(BOB, "period")
    assert [(r["orders"], r["gross"], r["average_order_value"]) for r in by_month] == [
        (1, "110.00", "110.00")
    ]
    customers = await sales(ALICE, "customer")
    assert [r["key"] for r in customers] == [alices["customer"]["id"]]
    # A SKU filter keeps the orders (and, where a report reads lines, the lines) of that SKU.
    of_b1 = await client.get(
        "/reports/sales", params={"by": "product", "sku": "B-1"}, headers=MANAGER
    )
    assert of_b1.status_code == 200, of_b1.text
    assert {r["key"]: r["orders"] for r in of_b1.json()["items"]} == {"B-1": 1}
    filled = await client.get("/reports/fill-rate", params={"sku": "B-1"}, headers=MANAGER)
    assert (filled.status_code, filled.json()["ordered_quantity"]) == (200, "4.000")

    exported = await client.get(
        "/reports/sales", params={"by": "owner", "format": "csv"}, headers=MANAGER
    )
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["key"], r["net"]) for r in rows] == [("alice", "50.00"), ("bob", "110.00")]

    # Bob's order: A-1 ships in full, B-1 half; Alice's is short of stock.
    await orders_service.send(
        "inventory.events",
        new_event(
            EventType.SHIPMENT_DISPATCHED,
            shipment_dispatched(bobs["id"], "shp-1", [("A-1", "2"), ("B-1", "2")], fully=False),
            source="/inventory",
            subject=bobs["id"],
        ),
        bobs["id"],
    )
    failed = StockReservationFailed(
        order_id=alices["id"], shortages=[{"sku": "A-1", "requested": "10", "available": "0"}]
    )
    await orders_service.send(
        "inventory.events",
        new_event(
            EventType.STOCK_RESERVATION_FAILED, failed, source="/inventory", subject=alices["id"]
        ),
        alices["id"],
    )

    async def fill(who: dict[str, str]) -> dict[str, Any]:
        figures: dict[str, Any] = (await client.get("/reports/fill-rate", headers=who)).json()
        return figures

    bob_fill = await eventually(
        lambda: _when(fill(BOB), lambda f: f["shipped_quantity"] == "4.000")
    )
    assert (bob_fill["ordered_quantity"], bob_fill["fill_rate"]) == ("6.000", "0.6667")
    assert (bob_fill["lines"], bob_fill["lines_complete"]) == (2, 1)
    team_fill = await fill(MANAGER)
    assert (team_fill["ordered_quantity"], team_fill["shipped_quantity"]) == ("16.000", "4.000")

    backorders = await eventually(
        lambda: _when(
            client.get("/reports/backorders", headers=MANAGER),
            lambda r: r.json()["items"],
        )
    )
    body = backorders.json()
    assert [i["number"] for i in body["items"]] == [alices["number"]]
    assert body["buckets"] == {"0-7": 1, "8-30": 0, "31+": 0}
    assert (await client.get("/reports/backorders", headers=BOB)).json()["items"] == []

    cycle = (await client.get("/reports/cycle-time", headers=MANAGER)).json()["items"]
    assert [s["step"] for s in cycle] == [
        "confirmed_to_shipped",
        "shipped_to_invoiced",
        "invoiced_to_paid",
        "confirmed_to_paid",
    ]
    assert all(s["orders"] == 0 for s in cycle)  # nothing fully shipped yet


async def test_the_fill_rate_fills_a_skus_lines_in_line_order_within_the_reports_dates(
    orders_service: Any,
) -> None:
    client = orders_service.client
    dave = bearer("sales", subject="dave", team="south")  # sees only his own orders
    customer = (
        await client.post(
            "/customers", json={"name": "Fill", "email": "f@example.com"}, headers=dave
        )
    ).json()

    async def confirmed(on: str, lines: list[dict[str, str]]) -> Any:
        body = {"customer_id": customer["id"], "currency": "EUR", "order_date": on, "lines": lines}
        order = (await client.post("/orders", json=body, headers=dave)).json()
        response = await client.post(f"/orders/{order['id']}/confirm", headers=dave)
        assert response.status_code == 200, response.text
        return response.json()

    march = await confirmed(
        "2020-03-10",
        [_line("W-1", "3", "1.00"), _line("W-2", "1", "1.00"), _line("W-1", "2", "1.00")],
    )
    april = await confirmed("2020-04-10", [_line("W-1", "5", "1.00")])
    for order, shipment, quantity in ((march, "shp-m", "4"), (april, "shp-a", "5")):
        dispatched = shipment_dispatched(
            order["id"], shipment, [("W-1", quantity)], fully=order is april
        )
        event = new_event(
            EventType.SHIPMENT_DISPATCHED, dispatched, source="/inventory", subject=order["id"]
        )
        await orders_service.send("inventory.events", event, order["id"])

    async def fill(**params: str) -> Any:
        figures = (await client.get("/reports/fill-rate", params=params, headers=dave)).json()
        return (
            figures["ordered_quantity"],
            figures["shipped_quantity"],
            figures["lines"],
            figures["lines_complete"],
        )

    everything = await eventually(lambda: _when(fill(), lambda f: f[1] == "9.000"))
    assert everything == ("11.000", "9.000", 4, 2)
    # March alone: its 4 of W-1 fill the first W-1 line (3) and 1 of the second; April's
    # shipment, though of the same SKU, is not March's.
    in_march = {"date_from": "2020-03-01", "date_to": "2020-03-31"}
    assert await fill(**in_march) == ("6.000", "4.000", 3, 1)
    assert await fill(**in_march, sku="W-1") == ("5.000", "4.000", 2, 1)
    assert await fill(date_from="2020-04-01", sku="W-1") == ("5.000", "5.000", 1, 1)


async def test_quote_conversion_per_owner(orders_service: Any) -> None:
    client = orders_service.client
    service_line = {**_line("S-1", "1", "100.00"), "kind": "service"}

    async def quote(who: dict[str, str], *steps: str) -> None:
        customer = (
            await client.post(
                "/customers", json={"name": "Q", "email": "q@example.com"}, headers=who
            )
        ).json()
        body = {"customer_id": customer["id"], "currency": "EUR", "lines": [service_line]}
        made = (await client.post("/quotes", json=body, headers=who)).json()
        for step in steps:
            response = await client.post(f"/quotes/{made['id']}/{step}", headers=who)
            assert response.status_code in (200, 201), response.text

    await quote(ALICE, "send", "accept", "convert")
    await quote(ALICE, "send")
    await quote(ALICE)
    await quote(BOB, "send", "reject")

    async def conversion(who: dict[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = (await client.get("/reports/quote-conversion", headers=who)).json()
        return found

    alices = await conversion(ALICE)
    assert {k: alices[k] for k in ("quotes", "sent", "accepted", "converted")} == {
        "quotes": 3,
        "sent": 2,
        "accepted": 1,
        "converted": 1,
    }
    assert alices["conversion_rate"] == "0.5000"
    team = await conversion(MANAGER)
    assert (team["quotes"], team["sent"], team["rejected"], team["conversion_rate"]) == (
        4,
        3,
        1,
        "0.3333",
    )
    exported = await client.get("/reports/quote-conversion?format=csv", headers=BOB)
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["quotes"], row["rejected"], row["conversion_rate"]) == ("1", "1", "0.0000")


async def test_receivables_per_owner_from_billing_events(orders_service: Any) -> None:
    client = orders_service.client
    service_line = {**_line("S-9", "1", "100.00"), "kind": "service"}
    order = await _confirmed(client, ALICE, [service_line])
    issued = InvoiceIssued(
        invoice_id="inv-1",
        number="INV-2026-000001",
        order_id=order["id"],
        order_number=order["number"],
        customer=CustomerRef(id=order["customer"]["id"], name="R"),
        issue_date=date.today(),
        due_date=date.today(),
        currency="EUR",
        payment_terms=PaymentTerms(),
        lines=[],
        totals=Totals(net=D("100.00"), tax=D("0.00"), gross=D("100.00")),
    )
    paid = payment_received(
        order["id"], "60.00", paid_total="60.00", balance="40.00", status="partially_paid"
    )
    for event_type, payload in (
        (EventType.INVOICE_ISSUED, issued),
        (EventType.PAYMENT_RECEIVED, paid),
    ):
        event = new_event(event_type, payload, source="/billing", subject=order["id"])
        await orders_service.send("billing.events", event, order["id"])

    async def receivables(who: dict[str, str]) -> Any:
        found = (await client.get("/reports/receivables", headers=who)).json()["items"]
        return found if found and found[0]["open"] == "40.00" else None

    [row] = await eventually(lambda: receivables(ALICE))
    assert row == {
        "owner": "alice",
        "currency": "EUR",
        "invoices": 1,
        "net": "100.00",
        "gross": "100.00",
        "open": "40.00",
    }
    assert (await client.get("/reports/receivables", headers=BOB)).json()["items"] == []


async def _when(probe: Any, ready: Any) -> Any:
    found = await probe
    return found if ready(found) else None
