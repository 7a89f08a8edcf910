"""Customers' later life and customer groups through the HTTP API of a running service (real
Kafka and PostgreSQL): PATCH with If-Match, tax ids, duplicate warnings, archive, delete."""

from __future__ import annotations

import uuid
from typing import Any

from servicekit.testing import bearer

SALES = bearer("sales", subject="sam")
BERLIN = {"line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin", "country": "DE"}
LINE = {
    "sku": "SRV-1",
    "kind": "service",
    "description": "Work",
    "quantity": "1",
    "unit_price": "10.00",
    "tax_rate": "19",
}


def _email() -> str:
    return f"c-{uuid.uuid4().hex[:8]}@example.com"


async def test_groups_are_administered_and_customers_put_in_them(orders_service: Any) -> None:
    client = orders_service.client  # admin
    code = f"wholesale-{uuid.uuid4().hex[:6]}"
    response = await client.post("/customer-groups", json={"code": code, "name": "Wholesale"})
    assert response.status_code == 201, response.text
    again = await client.post("/customer-groups", json={"code": code, "name": "Other"})
    assert again.status_code == 409
    refused = await client.post("/customer-groups", json={"code": "x", "name": "X"}, headers=SALES)
    assert refused.status_code == 403
    response = await client.patch(f"/customer-groups/{code}", json={"description": "Resellers"})
    assert response.json()["description"] == "Resellers"
    assert response.json()["name"] == "Wholesale"

    unknown = await client.post(
        "/customers", json={"name": "Nope", "email": _email(), "group": "no-such-group"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.group"
    customer = await orders_service.created(
        "/customers", {"name": "Trader", "email": _email(), "group": code}
    )
    assert customer["group"] == code
    listed = await client.get(f"/customers?group={code}")
    assert [c["id"] for c in listed.json()["items"]] == [customer["id"]]
    assert (await client.delete(f"/customer-groups/{code}")).status_code == 409
    await client.patch(f"/customers/{customer['id']}", json={"group": None})
    assert (await client.delete(f"/customer-groups/{code}")).status_code == 204
    assert (await client.get(f"/customer-groups/{code}")).status_code == 404


async def test_a_customer_is_changed_with_if_match_and_warned_of_duplicates(
    orders_service: Any,
) -> None:
    client = orders_service.client
    tax_id = "DE136695976"
    email = _email()
    first = await orders_service.created(
        "/customers", {"name": "First", "email": email, "tax_id": "de 136 695 976"}
    )
    assert first["tax_id"] == tax_id
    assert first["warnings"] == []
    second = await orders_service.created(
        "/customers",
        {"name": "Second", "email": email.upper(), "billing_address": BERLIN, "tax_id": tax_id},
    )
    fields = {w["field"]: w for w in second["warnings"]}
    assert first["id"] in fields["tax_id"]["customer_ids"]
    assert fields["email"]["customer_ids"] == [first["id"]]

    invalid = await client.post(
        "/customers", json={"name": "Bad", "email": _email(), "tax_id": "DE136695977"}
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "body.tax_id"

    read = await client.get(f"/customers/{first['id']}")
    etag = read.headers["ETag"]
    changed = await client.patch(
        f"/customers/{first['id']}", json={"name": "First GmbH"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "First GmbH"
    assert (
        changed.headers["ETag"] == (await client.get(f"/customers/{first['id']}")).headers["ETag"]
    )
    stale = await client.patch(
        f"/customers/{first['id']}", json={"name": "Lost update"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert (await client.get(f"/customers/{first['id']}")).json()["name"] == "First GmbH"
    refused = await client.patch(f"/customers/{first['id']}", json={"name": None})
    assert refused.status_code == 422
    timeline = (await client.get(f"/customers/{first['id']}/timeline")).json()["items"]
    assert [e["summary"] for e in timeline] == ["Changed: name First → First GmbH"]


async def test_archived_customers_leave_the_lists_and_are_deleted_only_without_orders(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("Archivable")
    order = await orders_service.created(
        "/orders", {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    )
    assert order["customer"]["id"] == customer["id"]
    assert (await client.delete(f"/customers/{customer['id']}")).status_code == 409

    archived = await client.post(f"/customers/{customer['id']}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert (await client.post(f"/customers/{customer['id']}/archive")).status_code == 409
    active = await client.get("/customers?q=Archivable")
    assert customer["id"] not in {c["id"] for c in active.json()["items"]}
    only_archived = await client.get("/customers?q=Archivable&archived=true")
    assert customer["id"] in {c["id"] for c in only_archived.json()["items"]}
    refused = await client.post(
        "/orders", json={"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    )
    assert refused.status_code == 422
    assert (
        await client.patch(f"/customers/{customer['id']}", json={"name": "X"})
    ).status_code == 409
    restored = await client.post(f"/customers/{customer['id']}/restore")
    assert restored.json()["archived"] is False

    unused = await orders_service.new_customer("Short-lived")
    assert (await client.delete(f"/customers/{unused['id']}")).status_code == 204
    assert (await client.get(f"/customers/{unused['id']}")).status_code == 404


async def test_contacts_are_records_and_an_order_picks_one(orders_service: Any) -> None:
    client = orders_service.client
    customer = await orders_service.new_customer("With contacts")
    ana = await orders_service.created(
        f"/customers/{customer['id']}/contacts",
        {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "+34 600 000 000"},
    )
    assert ana["label"] == "Ana Ruiz <ana@example.com>"
    changed = await client.patch(
        f"/customers/{customer['id']}/contacts/{ana['id']}", json={"position": "Buyer"}
    )
    assert changed.json()["position"] == "Buyer"
    listed = await client.get(f"/customers/{customer['id']}/contacts")
    assert [c["id"] for c in listed.json()["items"]] == [ana["id"]]

    body = {"customer_id": customer["id"], "currency": "EUR", "lines": [LINE]}
    order = await orders_service.created("/orders", {**body, "contact_id": ana["id"]})
    assert order["contact"] == "Ana Ruiz <ana@example.com>"
    other = await orders_service.new_customer("Someone else")
    body = {**body, "customer_id": other["id"], "contact_id": ana["id"]}
    refused = await client.post("/orders", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.contact_id"

    deleted = await client.delete(f"/customers/{customer['id']}/contacts/{ana['id']}")
    assert deleted.status_code == 204
    again = await client.delete(f"/customers/{customer['id']}/contacts/{ana['id']}")
    assert again.status_code == 404
    kept = await client.get(f"/orders/{order['id']}")
    assert kept.json()["contact"] == "Ana Ruiz <ana@example.com>"
