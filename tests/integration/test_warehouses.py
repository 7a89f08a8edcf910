"""Several warehouses across the services: an order is reserved in the second warehouse when
the default one is short and ships from there; an order that names the default warehouse waits
for a transfer, which reserves it once received."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle


async def stock_in(suite: Suite, code: str, warehouse: str) -> dict[str, Decimal]:
    async with suite.client("inventory") as inventory:
        response = await inventory.get(f"/stock/{code}", params={"warehouse": warehouse})
    assert response.status_code == 200, response.text
    return {k: Decimal(v) for k, v in response.json().items() if k != "sku"}


async def test_reserved_in_the_second_warehouse_then_a_transfer_serves_a_waiting_order(
    suite: Suite,
) -> None:
    west = f"W{uuid.uuid4().hex[:6].upper()}"
    bolts = await lifecycle.stocked_product(suite, "2")  # in MAIN, the default warehouse
    async with suite.client("inventory") as inventory:
        created = await inventory.post(
            "/warehouses", json={"code": west, "name": "West depot", "priority": 10}
        )
        assert created.status_code == 201, created.text
        receipt = await inventory.post(
            "/stock/adjustments",
            json={
                "sku": bolts,
                "kind": "receipt",
                "quantity": "10",
                "reason": "opening stock",
                "warehouse": west,
            },
        )
        assert receipt.status_code == 201, receipt.text
    buyer = await lifecycle.customer(suite, "Two Depots S.A.")

    first = await lifecycle.create_order(suite, buyer["id"], [lifecycle.product_line(bolts, "5")])
    assert (await lifecycle.order_action(suite, first["id"], "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, first["id"], fulfilment="reserved")
    assert await stock_in(suite, bolts, west) == {
        "on_hand": Decimal("10"),
        "reserved": Decimal("5"),
        "available": Decimal("5"),
    }
    assert (await stock_in(suite, bolts, "MAIN"))["reserved"] == Decimal("0")
    shipped = await lifecycle.ship(suite, first["id"], [(bolts, "5")])
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["warehouse"] == west
    await lifecycle.order_reaches(suite, first["id"], fulfilment="shipped")

    # An order that names MAIN waits there (2 on hand) until a transfer brings more.
    async with suite.client("orders") as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": buyer["id"],
                "currency": "EUR",
                "warehouse": "MAIN",
                "lines": [lifecycle.product_line(bolts, "4")],
            },
        )
    assert response.status_code == 201, response.text
    second: dict[str, Any] = response.json()
    assert second["warehouse"] == "MAIN"
    assert (await lifecycle.order_action(suite, second["id"], "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, second["id"], fulfilment="backordered")

    async with suite.client("inventory") as inventory:
        too_much = await inventory.post(
            "/transfers",
            json={
                "from_warehouse": west,
                "to_warehouse": "MAIN",
                "lines": [{"sku": bolts, "quantity": "6"}],
            },
        )
        assert too_much.status_code == 409, too_much.text
        sent = await inventory.post(
            "/transfers",
            json={
                "from_warehouse": west,
                "to_warehouse": "MAIN",
                "lines": [{"sku": bolts, "quantity": "3"}],
            },
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["status"] == "in_transit"
        received = await inventory.post(f"/transfers/{sent.json()['id']}/receive")
        assert received.status_code == 200, received.text

    await lifecycle.order_reaches(suite, second["id"], fulfilment="reserved")
    assert await stock_in(suite, bolts, "MAIN") == {
        "on_hand": Decimal("5"),
        "reserved": Decimal("4"),
        "available": Decimal("1"),
    }
    assert (await stock_in(suite, bolts, west))["on_hand"] == Decimal("2")

    # Orders' catalogue view shows the stock per warehouse.
    async def both_warehouses() -> dict[str, Any] | None:
        item = await lifecycle.catalogued(suite, bolts)
        places = {w["warehouse"]: w["available"] for w in item["availability"]["warehouses"]}
        return item if places == {"MAIN": "1.000", west: "2.000"} else None

    await eventually(both_warehouses, within=60)


async def test_orders_learns_warehouses_from_inventory_and_refuses_an_inactive_one(
    suite: Suite,
) -> None:
    east = f"E{uuid.uuid4().hex[:6].upper()}"
    buyer = await lifecycle.customer(suite, "Depósito Este S.L.")

    async def named(code: str) -> Any:
        async with suite.client("orders") as orders:
            return await orders.post(
                "/orders",
                json={
                    "customer_id": buyer["id"],
                    "currency": "EUR",
                    "warehouse": code,
                    "lines": [
                        {"sku": "SETUP", "kind": "service", "quantity": "1", "unit_price": "5"}
                        | {"tax_rate": "21"}
                    ],
                },
            )

    unknown = await named(east)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "body.warehouse")
    async with suite.client("inventory") as inventory:
        created = await inventory.post("/warehouses", json={"code": east, "name": "East"})
        assert created.status_code == 201, created.text

    async def answered(status: int) -> Any:
        response = await named(east)
        return response if response.status_code == status else None

    draft = (await eventually(lambda: answered(201), within=60, interval=0.5)).json()
    async with suite.client("inventory") as inventory:
        assert (await inventory.post(f"/warehouses/{east}/deactivate")).status_code == 200
    refused = await eventually(lambda: answered(422), within=60, interval=0.5)
    assert "inactive" in refused.json()["errors"][0]["message"]
    # The draft made while it was active cannot be confirmed into a warehouse that is gone.
    confirm = await lifecycle.order_action(suite, draft["id"], "confirm")
    assert (confirm.status_code, confirm.json()["warehouse"]) == (409, east), confirm.text
    async with suite.client("inventory") as inventory:
        assert (await inventory.post(f"/warehouses/{east}/reactivate")).status_code == 200
    await eventually(lambda: answered(201), within=60, interval=0.5)
