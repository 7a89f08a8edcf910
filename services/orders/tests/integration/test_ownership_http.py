"""Owners and visibility through the HTTP API of a running service (real Kafka, PostgreSQL):
two salespeople each see only their own customers, quotes and orders, their manager both."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.testing import bearer, eventually

ALICE = bearer("sales", subject="alice", team="north")
BOB = bearer("sales", subject="bob", team="north")
CAROL = bearer("sales", subject="carol", team="south")
MANAGER = bearer("sales", "sales_manager", subject="nina", team="north")

LINE = {
    "sku": "SRV-1",
    "kind": "service",
    "description": "Work",
    "quantity": "1",
    "unit_price": "10.00",
    "tax_rate": "21",
}


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    return {"visibility": {"sales": "own", "sales_manager": "team"}}


async def _created(client: Any, path: str, body: dict[str, Any], who: dict[str, str]) -> Any:
    response = await client.post(path, json=body, headers=who)
    assert response.status_code == 201, response.text
    return response.json()


async def _deal(client: Any, who: dict[str, str], name: str) -> tuple[Any, Any, Any]:
    """A customer, a quote and an order, all made by `who`."""
    customer = await _created(
        client, "/customers", {"name": name, "email": f"{name}@example.com"}, who
    )
    content = {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    quote = await _created(client, "/quotes", content, who)
    order = await _created(client, "/orders", content, who)
    return customer, quote, order


async def _ids(client: Any, path: str, who: dict[str, str]) -> set[str]:
    response = await client.get(path, headers=who)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_each_salesperson_sees_their_own_and_the_manager_the_teams(
    orders_service: Any,
) -> None:
    client = orders_service.client
    a_customer, a_quote, a_order = await _deal(client, ALICE, "alpha")
    b_customer, b_quote, b_order = await _deal(client, BOB, "beta")
    _, _, c_order = await _deal(client, CAROL, "gamma")
    assert (a_order["owner"], a_order["team"]) == ("alice", "north")

    assert await _ids(client, "/orders", ALICE) == {a_order["id"]}
    assert await _ids(client, "/orders", BOB) == {b_order["id"]}
    assert await _ids(client, "/orders", MANAGER) == {a_order["id"], b_order["id"]}
    assert await _ids(client, "/orders?owner=me", MANAGER) == set()
    assert await _ids(client, "/orders?team=south", MANAGER) == set()
    assert c_order["id"] in await _ids(client, "/orders?team=south", orders_service.client.headers)
    assert await _ids(client, "/quotes", ALICE) == {a_quote["id"]}
    assert await _ids(client, "/quotes", MANAGER) == {a_quote["id"], b_quote["id"]}
    assert await _ids(client, "/customers", BOB) == {b_customer["id"]}
    assert await _ids(client, "/customers", MANAGER) == {a_customer["id"], b_customer["id"]}
    assert await _ids(client, f"/customers/{a_customer['id']}/orders", MANAGER) == {a_order["id"]}

    # Another's record is not there at all: 404, for reads and for changes.
    for path in (
        f"/orders/{a_order['id']}",
        f"/orders/{a_order['id']}/timeline",
        f"/quotes/{a_quote['id']}",
        f"/customers/{a_customer['id']}",
        f"/customers/{a_customer['id']}/orders",
    ):
        response = await client.get(path, headers=BOB)
        assert response.status_code == 404, path
    response = await client.post(f"/orders/{a_order['id']}/confirm", headers=BOB)
    assert response.status_code == 404
    response = await client.get(f"/orders/{a_order['id']}", headers=MANAGER)
    assert response.status_code == 200
    response = await client.get(f"/orders/{a_order['id']}", headers=CAROL)
    assert response.status_code == 404

    # Exports hold what the caller sees too.
    exported = (await client.get("/exports/orders.csv", headers=ALICE)).text
    assert a_order["number"] in exported
    assert b_order["number"] not in exported
    exported = (await client.get("/exports/customers.csv", headers=BOB)).text
    assert "beta@example.com" in exported
    assert "alpha@example.com" not in exported

    # A saved filter runs with the visibility of whoever runs it.
    saved = await _created(client, "/saved-filters", {"name": "mine", "query": {}}, BOB)
    response = await client.get(f"/saved-filters/{saved['id']}/orders", headers=BOB)
    assert {o["id"] for o in response.json()["items"]} == {b_order["id"]}


async def test_reassignment_single_and_bulk_is_on_the_timeline_with_the_actor(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer, quote, first = await _deal(client, ALICE, "delta")
    second = await _created(
        client,
        "/orders",
        {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]},
        ALICE,
    )

    response = await client.post(
        "/orders/reassign",
        json={"ids": [first["id"], second["id"]], "owner": "bob"},
        headers=MANAGER,
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {"id": first["id"], "owner": "bob", "team": "north"},
        {"id": second["id"], "owner": "bob", "team": "north"},
    ]
    assert {first["id"], second["id"]} <= await _ids(client, "/orders?owner=me", BOB)
    assert await _ids(client, "/orders?owner=me", ALICE) & {first["id"], second["id"]} == set()
    timeline = (await client.get(f"/orders/{first['id']}/timeline", headers=BOB)).json()
    [entry] = [e for e in timeline["items"] if e["type"] == "orders.order.reassigned"]
    assert (entry["actor"], entry["summary"]) == ("nina", "Reassigned from alice to bob")

    # Alice no longer sees them; a bulk change naming one she cannot see changes nothing.
    response = await client.post(
        "/orders/reassign", json={"ids": [first["id"]], "owner": "alice"}, headers=ALICE
    )
    assert response.status_code == 404

    response = await client.post(
        f"/quotes/{quote['id']}/reassign", json={"owner": "carol", "team": "south"}, headers=ALICE
    )
    assert response.status_code == 200, response.text
    assert (response.json()["owner"], response.json()["team"]) == ("carol", "south")
    assert quote["id"] in await _ids(client, "/quotes", CAROL)

    response = await client.post(
        f"/customers/{customer['id']}/reassign", json={"owner": "bob"}, headers=ALICE
    )
    assert response.status_code == 200, response.text
    timeline = (await client.get(f"/customers/{customer['id']}/timeline", headers=BOB)).json()
    assert [e["summary"] for e in timeline["items"]] == ["Reassigned from alice to bob"]

    response = await client.post(f"/orders/{first['id']}/reassign", json={"owner": ""}, headers=BOB)
    assert response.status_code == 422


async def test_imports_see_as_their_starter_and_background_ones_create_as_them(
    orders_service: Any,
) -> None:
    client = orders_service.client
    alices = await _created(
        client, "/customers", {"name": "Alpha Imports", "email": "ai@example.com"}, ALICE
    )
    csv = {"content-type": "text/csv"}
    contacts = f"external_reference,customer,name\nimp-c-{alices['id']},{alices['id']},Ann\n"
    as_bob = await client.post(
        "/imports/contacts?dry_run=true", content=contacts.encode(), headers={**BOB, **csv}
    )
    assert as_bob.status_code == 200, as_bob.text
    [error] = as_bob.json()["errors"]  # alice's customer is unknown to bob, as in his lists
    assert (error["line"], error["column"]) == (2, "customer")
    as_alice = await client.post(
        "/imports/contacts?dry_run=true", content=contacts.encode(), headers={**ALICE, **csv}
    )
    assert as_alice.json()["errors"] == []

    reference = f"imp-{alices['id'][:8]}"
    customers = (
        f"external_reference,name,email\n{reference},Beta Imported,{reference}@example.com\n"
    )
    queued = await client.post(
        "/imports/customers?background=true", content=customers.encode(), headers={**BOB, **csv}
    )
    assert queued.status_code == 202, queued.text

    async def finished() -> Any:
        job = (await client.get(queued.headers["location"], headers=BOB)).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job = await eventually(finished, within=60)
    assert job["status"] == "succeeded", job
    found = await client.get("/customers", params={"q": "Beta Imported"}, headers=BOB)
    [imported] = found.json()["items"]
    assert (imported["owner"], imported["team"]) == ("bob", "north")
    assert imported["id"] not in await _ids(client, "/customers", CAROL)
    # The job's report holds the file's rows: seen as bob's records are, not by carol.
    assert (await client.get(queued.headers["location"], headers=CAROL)).status_code == 404
    assert (await client.get(queued.headers["location"], headers=MANAGER)).status_code == 200
