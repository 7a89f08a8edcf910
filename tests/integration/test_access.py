"""Who may do what, across the running services, and who did it according to the timeline."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from contracts import EventType
from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle

# (role, service, allowed call, refused call); a call is (method, path, json body)
Call = tuple[str, str, dict[str, Any] | None]


def customer_body() -> dict[str, Any]:
    return {"name": "Role Check Ltd", "email": f"r-{uuid.uuid4().hex[:6]}@example.com"}


MATRIX: list[tuple[str, str, Call, str, Call]] = [
    (
        "sales",
        "orders",
        ("POST", "/customers", customer_body()),
        "billing",
        ("POST", "/invoices/00000000-0000-0000-0000-000000000000/payments", {"amount": "1.00"}),
    ),
    (
        "warehouse",
        "inventory",
        ("PUT", "/products/ROLE-CHECK", {"name": "x", "kind": "product"}),
        "orders",
        ("POST", "/customers", customer_body()),
    ),
    (
        "accounting",
        "billing",
        ("GET", "/invoices", None),
        "inventory",
        ("PUT", "/products/ROLE-CHECK", {"name": "x", "kind": "product"}),
    ),
    (
        "integration",
        "orders",
        ("POST", "/customers", customer_body()),
        "inventory",
        (
            "POST",
            "/stock/adjustments",
            {"sku": "ROLE-CHECK", "kind": "receipt", "quantity": "1", "reason": "x"},
        ),
    ),
    (
        "viewer",
        "documents",
        ("GET", "/documents", None),
        "orders",
        ("POST", "/customers", customer_body()),
    ),
    (
        "admin",
        "inventory",
        ("GET", "/products", None),
        "orders",
        ("GET", "/orders", None),
    ),  # admin is refused nothing: checked below
]


async def call(suite: Suite, service: str, role: str, request: Call) -> httpx.Response:
    method, path, body = request
    async with suite.client(service, role) as client:
        return await client.request(method, path, json=body)


@pytest.mark.parametrize(("role", "service", "allowed", "other", "refused"), MATRIX)
async def test_each_role_has_one_allowed_and_one_refused_call(
    suite: Suite, role: str, service: str, allowed: Call, other: str, refused: Call
) -> None:
    ok = await call(suite, service, role, allowed)
    assert ok.status_code in (200, 201), ok.text
    answer = await call(suite, other, role, refused)
    if role == "admin":
        assert answer.status_code == 200
        return
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["missing_scopes"]


async def test_missing_and_bad_tokens_are_refused_but_health_is_open(suite: Suite) -> None:
    async with httpx.AsyncClient(base_url=suite.url("orders")) as anonymous:
        assert (await anonymous.get("/health/ready")).status_code == 200
        response = await anonymous.get("/orders")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        bad = await anonymous.get("/orders", headers={"Authorization": "Bearer not.a.jwt"})
        assert bad.status_code == 401


async def test_the_timeline_names_who_did_what(suite: Suite) -> None:
    sku = f"ACT-{uuid.uuid4().hex[:6].upper()}"
    async with suite.client("inventory", "warehouse") as inventory:
        await inventory.put(f"/products/{sku}", json={"name": "Actor test", "kind": "product"})
        await inventory.post(
            "/stock/adjustments",
            json={"sku": sku, "kind": "receipt", "quantity": "5", "reason": "stock"},
        )
    await lifecycle.catalogued(suite, sku)  # product lines name items orders knows
    async with suite.client("orders", "sales") as orders:
        customer = (await orders.post("/customers", json=customer_body())).json()
        order = (
            await orders.post(
                "/orders",
                json={
                    "customer_id": customer["id"],
                    "currency": "EUR",
                    "lines": [
                        {
                            "sku": sku,
                            "kind": "product",
                            "description": "x",
                            "quantity": "1",
                            "unit_price": "5.00",
                            "tax_rate": "0",
                        }
                    ],
                },
            )
        ).json()
        assert (await orders.post(f"/orders/{order['id']}/confirm")).status_code == 200

    async def reserved() -> bool:
        async with suite.client("orders") as client:
            return bool(
                (await client.get(f"/orders/{order['id']}")).json()["fulfilment"] == "reserved"
            )

    await eventually(reserved, within=60)
    async with suite.client("inventory", "warehouse") as inventory:
        shipped = await inventory.post(
            "/shipments", json={"order_id": order["id"], "lines": [{"sku": sku, "quantity": "1"}]}
        )
        assert shipped.status_code == 201

    async def shipment_in_timeline() -> list[dict[str, Any]] | None:
        async with suite.client("orders", "viewer") as client:
            items: list[dict[str, Any]] = (
                await client.get(f"/orders/{order['id']}/timeline")
            ).json()["items"]
        types = [i["type"] for i in items]
        return items if EventType.SHIPMENT_DISPATCHED.value in types else None

    timeline = {e["type"]: e for e in await eventually(shipment_in_timeline, within=60)}
    assert timeline[EventType.ORDER_CREATED.value]["actor"] == "test-sales"
    assert timeline[EventType.ORDER_CONFIRMED.value]["actor"] == "test-sales"
    assert timeline[EventType.SHIPMENT_DISPATCHED.value]["actor"] == "test-warehouse"
    # the reservation was caused by the confirmation, so it carries the same actor
    assert timeline[EventType.STOCK_RESERVED.value]["actor"] == "test-sales"
