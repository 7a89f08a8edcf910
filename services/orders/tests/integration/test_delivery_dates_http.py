"""Requested and promised delivery dates through the HTTP API of a running orders service (real
Kafka and PostgreSQL): on an order and its lines, read back, filtered, refused naming the field
when not a date or before the order date, edited on a draft, moved by a revision of the
confirmed order (on its timeline) and carried in the order's events."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from contracts import EventType
from servicekit.testing import bearer

SALES = bearer("sales", subject="sam")
LINE = {"sku": "BOLT-6", "kind": "product", "description": "Bolts", "tax_rate": "21"}


def dated_order(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "order_date": "2026-12-01",
        "requested_delivery_date": "2026-12-08",
        "promised_delivery_date": "2026-12-10",
        "lines": [
            {**LINE, "quantity": "4", "unit_price": "1.50"},
            {
                **LINE,
                "sku": "NUT-6",
                "description": "Nuts",
                "quantity": "2",
                "unit_price": "0.20",
                "promised_delivery_date": "2026-12-15",
            },
        ],
    } | extra


def fields_of(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


async def test_an_order_and_its_lines_carry_delivery_dates(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Dates Ltd")
    order = await orders_service.created("/orders", dated_order(customer["id"]))
    assert (order["requested_delivery_date"], order["promised_delivery_date"]) == (
        "2026-12-08",
        "2026-12-10",
    )
    assert [
        (line["requested_delivery_date"], line["promised_delivery_date"]) for line in order["lines"]
    ] == [(None, None), (None, "2026-12-15")]
    read = (await client.get(f"/orders/{order['id']}")).json()
    assert read["lines"] == order["lines"]
    assert read["promised_delivery_date"] == "2026-12-10"

    # Filtered by the order's promise (strictly before the day given).
    other = await orders_service.created(
        "/orders", dated_order(customer["id"], promised_delivery_date="2026-12-20")
    )
    undated = await orders_service.created(
        "/orders", dated_order(customer["id"], promised_delivery_date=None)
    )
    listed = await client.get(
        "/orders", params={"customer_id": customer["id"], "promised_before": "2026-12-20"}
    )
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]
    later = await client.get(
        "/orders", params={"customer_id": customer["id"], "promised_before": "2026-12-21"}
    )
    assert {o["id"] for o in later.json()["items"]} == {order["id"], other["id"]}
    assert undated["promised_delivery_date"] is None
    exported = await client.get(
        "/exports/orders.csv", params={"customer_id": customer["id"], "direction": "asc"}
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["requested_delivery_date"], r["promised_delivery_date"]) for r in rows] == [
        ("2026-12-08", "2026-12-10"),
        ("2026-12-08", "2026-12-20"),
        ("2026-12-08", ""),
    ]

    # A draft's dates are edited (null clears); the order date cannot pass a promise.
    url = f"/orders/{order['id']}"
    edited = await client.patch(url, json={"requested_delivery_date": None})
    assert edited.status_code == 200, edited.text
    assert edited.json()["requested_delivery_date"] is None
    too_late = await client.patch(url, json={"order_date": "2026-12-12"})
    assert fields_of(too_late) == ["body.promised_delivery_date"]
    assert (await client.get(url)).json()["order_date"] == "2026-12-01"


async def test_bad_delivery_dates_are_refused_naming_the_field(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Bad Dates Ltd")
    body = dated_order(customer["id"])
    not_a_date = await client.post("/orders", json=body | {"promised_delivery_date": "2026-02-30"})
    assert fields_of(not_a_date) == ["body.promised_delivery_date"]
    body["lines"][1]["promised_delivery_date"] = "someday"
    assert fields_of(await client.post("/orders", json=body)) == [
        "body.lines.1.promised_delivery_date"
    ]
    body["lines"][1]["promised_delivery_date"] = "2026-11-30"  # before the order date
    before = await client.post("/orders", json=body)
    assert fields_of(before) == ["body.lines.1.promised_delivery_date"]
    assert "2026-12-01" in before.json()["errors"][0]["message"]
    early = dated_order(customer["id"], requested_delivery_date="2026-11-01")
    assert fields_of(await client.post("/orders", json=early)) == ["body.requested_delivery_date"]


async def test_a_revision_moves_the_promise_of_a_confirmed_order(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Promises Ltd")
    order = await orders_service.created("/orders", dated_order(customer["id"]))
    url = f"/orders/{order['id']}"
    confirmed = await client.post(f"{url}/confirm")
    assert confirmed.status_code == 200, confirmed.text

    body = {
        "promised_delivery_date": "2026-12-17",
        "lines": [
            {"line_no": 1, "promised_delivery_date": "2026-12-16"},
            {"line_no": 2},
        ],
    }
    revised = await client.post(f"{url}/revisions", json=body, headers=SALES)
    assert revised.status_code == 200, revised.text
    assert revised.json()["promised_delivery_date"] == "2026-12-17"
    assert [line["promised_delivery_date"] for line in revised.json()["lines"]] == [
        "2026-12-16",
        "2026-12-15",
    ]
    [revision] = (await client.get(f"{url}/revisions")).json()["items"]
    assert {c["field"]: (c["before"], c["after"]) for c in revision["changes"]} == {
        "promised_delivery_date": ("2026-12-10", "2026-12-17"),
        "lines.1.promised_delivery_date": (None, "2026-12-16"),
    }
    timeline = (await client.get(f"{url}/timeline")).json()["items"]
    entry = next(e for e in timeline if e["type"] == EventType.ORDER_REVISED)
    assert "promised_delivery_date 2026-12-10 → 2026-12-17" in entry["summary"]
    snapshot = entry["data"]["order"]
    assert snapshot["promised_delivery_date"] == "2026-12-17"
    assert [line.get("promised_delivery_date") for line in snapshot["lines"]] == [
        "2026-12-16",
        "2026-12-15",
    ]
    created = next(e for e in timeline if e["type"] == EventType.ORDER_CREATED)
    assert created["data"]["order"]["requested_delivery_date"] == "2026-12-08"

    early = await client.post(
        f"{url}/revisions", json={"promised_delivery_date": "2026-11-30"}, headers=SALES
    )
    assert fields_of(early) == ["body.promised_delivery_date"]
    same = await client.post(
        f"{url}/revisions", json={"promised_delivery_date": "2026-12-17"}, headers=SALES
    )
    assert fields_of(same) == ["body.promised_delivery_date"]
    assert len((await client.get(f"{url}/revisions")).json()["items"]) == 1


async def test_imported_orders_carry_their_delivery_dates(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Imported Dates Ltd")
    marker = uuid.uuid4().hex[:8]
    header = (
        "external_reference,customer,currency,order_date,requested_delivery_date,"
        "promised_delivery_date,sku,quantity,unit_price,tax_rate"
    )
    rows = [
        header,
        f"{marker}-A,{customer['id']},EUR,2026-12-01,2026-12-08,2026-12-10,BOLT-6,4,1.50,21",
        f"{marker}-B,{customer['id']},EUR,2026-12-01,,2026-11-30,BOLT-6,4,1.50,21",
    ]
    text_csv = {"Content-Type": "text/csv"}
    refused = await client.post(
        "/imports/orders?dry_run=true", content="\n".join(rows).encode(), headers=text_csv
    )
    assert refused.status_code == 200, refused.text
    assert [(e["line"], e["column"]) for e in refused.json()["errors"]] == [
        (3, "promised_delivery_date")
    ]
    done = await client.post(
        "/imports/orders", content="\n".join(rows[:2]).encode(), headers=text_csv
    )
    assert done.status_code == 200, done.text
    [order] = (await client.get("/orders", params={"external_reference": f"{marker}-A"})).json()[
        "items"
    ]
    assert (order["requested_delivery_date"], order["promised_delivery_date"]) == (
        "2026-12-08",
        "2026-12-10",
    )
