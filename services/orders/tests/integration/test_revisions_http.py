"""Order revisions through the HTTP API of a running orders service (real Kafka and
PostgreSQL): the change, its problems (409, 412, 422 naming the field), the revisions list and
the timeline, and inventory's answer moving the fulfilment."""

from __future__ import annotations

from typing import Any

from contracts import EventType, new_event
from contracts.common import StockLine
from contracts.events import StockReservationChanged
from contracts.topics import INVENTORY_EVENTS
from servicekit.testing import bearer, eventually

SALES = bearer("sales", subject="sam")
LINE = {"sku": "BOLT-6", "kind": "product", "description": "Bolts", "tax_rate": "21"}


async def an_open_order(service: Any) -> dict[str, Any]:
    customer = await service.new_customer("Revisions Ltd")
    draft = await service.created(
        "/orders",
        {
            "customer_id": customer["id"],
            "currency": "EUR",
            "lines": [{**LINE, "quantity": "4", "unit_price": "1.50"}],
        },
    )
    confirmed = await service.client.post(f"/orders/{draft['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    order: dict[str, Any] = confirmed.json()
    return order


async def test_a_confirmed_order_is_revised_and_the_timeline_shows_what_changed(
    orders_service: Any,
) -> None:
    client = orders_service.client
    order = await an_open_order(orders_service)
    url = f"/orders/{order['id']}"
    etag = (await client.get(url)).headers["ETag"]
    body = {
        "lines": [
            {"line_no": 1, "quantity": "10"},
            {**LINE, "sku": "NUT-6", "description": "Nuts", "quantity": "2", "unit_price": "0.20"},
        ],
        "order_date": "2026-12-24",
    }
    revised = await client.post(f"{url}/revisions", json=body, headers={**SALES, "If-Match": etag})
    assert revised.status_code == 200, revised.text
    assert [(line["line_no"], line["quantity"]) for line in revised.json()["lines"]] == [
        (1, "10"),
        (2, "2"),
    ]
    stale = await client.post(
        f"{url}/revisions",
        json={"lines": [{"line_no": 1, "quantity": "11"}]},
        headers={**SALES, "If-Match": etag},
    )
    assert stale.status_code == 412
    listed = (await client.get(f"{url}/revisions")).json()["items"]
    assert [(r["revision"], r["actor"]) for r in listed] == [(1, "sam")]
    fields = {c["field"]: (c["before"], c["after"]) for c in listed[0]["changes"]}
    assert fields["lines.1.quantity"] == ("4", "10")
    assert fields["order_date"][1] == "2026-12-24"
    assert fields["lines.2"][0] is None
    timeline = (await client.get(f"{url}/timeline")).json()["items"]
    entry = next(e for e in timeline if e["type"] == EventType.ORDER_REVISED)
    assert entry["actor"] == "sam"
    assert entry["summary"].startswith("Revision 1: ")
    assert entry["data"]["changes"] == listed[0]["changes"]

    # Inventory answers: part of the increase waits for stock.
    answer = StockReservationChanged(
        order_id=order["id"],
        revision=1,
        reserved=[StockLine(sku="NUT-6", quantity=2)],
        waiting=[StockLine(sku="BOLT-6", quantity=6)],
        fully_reserved=False,
    )
    event = new_event(
        EventType.STOCK_RESERVATION_CHANGED, answer, source="/inventory", subject=order["id"]
    )
    await orders_service.send(INVENTORY_EVENTS.name, event, key=order["id"])

    async def backordered() -> bool:
        return (await client.get(url)).json()["fulfilment"] == "backordered"

    await eventually(backordered)


async def test_bad_revisions_are_refused_naming_the_field(orders_service: Any) -> None:
    client = orders_service.client
    order = await an_open_order(orders_service)
    url = f"/orders/{order['id']}/revisions"
    unknown = await client.post(url, json={"lines": [{"line_no": 9}]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.lines.0.line_no"
    incomplete = await client.post(url, json={"lines": [{"sku": "X-1", "kind": "product"}]})
    assert incomplete.status_code == 422
    assert incomplete.json()["errors"][0]["field"] == "body.lines.0.quantity"
    nothing = await client.post(url, json={"lines": [{"line_no": 1}]})
    assert nothing.status_code == 422
    assert (await client.post(url, json={"lines": None})).status_code == 422

    cancelled = await client.post(f"/orders/{order['id']}/cancel", json={"reason": "no"})
    assert cancelled.status_code == 200
    refused = await client.post(url, json={"lines": [{"line_no": 1, "quantity": "1"}]})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(url)).json()["items"] == []


async def test_a_revision_retried_with_its_idempotency_key_is_made_once(
    orders_service: Any,
) -> None:
    client = orders_service.client
    order = await an_open_order(orders_service)
    url = f"/orders/{order['id']}"
    etag = (await client.get(url)).headers["ETag"]
    body = {"lines": [{"line_no": 1, "quantity": "6"}]}
    headers = {**SALES, "If-Match": etag, "Idempotency-Key": "revise-once"}
    first = await client.post(f"{url}/revisions", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == (await client.get(url)).headers["ETag"] != etag

    # The retry (its If-Match now stale) gets the first answer, and no second revision is made.
    again = await client.post(f"{url}/revisions", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert (again.json(), again.headers["ETag"]) == (first.json(), first.headers["ETag"])
    listed = (await client.get(f"{url}/revisions")).json()["items"]
    assert [r["revision"] for r in listed] == [1]

    # The same key with another body is refused and changes nothing.
    other = await client.post(
        f"{url}/revisions", json={"lines": [{"line_no": 1, "quantity": "7"}]}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert [r["revision"] for r in (await client.get(f"{url}/revisions")).json()["items"]] == [1]
    assert (await client.get(url)).json()["lines"][0]["quantity"] == "6"

    # Another key is another revision.
    second = await client.post(
        f"{url}/revisions",
        json={"lines": [{"line_no": 1, "quantity": "7"}]},
        headers={**SALES, "Idempotency-Key": "revise-twice"},
    )
    assert second.status_code == 200, second.text
    listed = (await client.get(f"{url}/revisions")).json()["items"]
    assert [r["revision"] for r in listed] == [1, 2]
