"""The catalogue across services: inventory's products with list prices and barcodes reach
orders' catalogue view through events only; order lines are priced and checked against it."""

from __future__ import annotations

from decimal import Decimal

from servicekit.testing import Suite
from tests.integration import test_order_lifecycle as lifecycle

BARCODE = "4006381333931"


async def test_an_order_line_takes_the_list_price_and_unknown_skus_are_refused(
    suite: Suite,
) -> None:
    code = await lifecycle.stocked_product(
        suite,
        "12",
        "Hex bolt M8",
        list_prices=[{"currency": "EUR", "amount": "0.35"}, {"currency": "USD", "amount": "0.40"}],
        unit_of_measure="unit",
        barcode=BARCODE,
    )
    async with suite.client("inventory") as inventory:
        invalid = await inventory.put(
            f"/products/{code}", json={"name": "Hex bolt M8", "kind": "product", "barcode": "123"}
        )
        assert invalid.status_code == 422, invalid.text
        assert invalid.json()["errors"][0]["field"] == "body.barcode"
        found = (await inventory.get("/products", params={"q": BARCODE})).json()["items"]
        assert code in [p["sku"] for p in found]

    item = await lifecycle.catalogued(suite, code)  # price and availability in one answer
    price = item["price"]
    assert (price["currency"], price["unit_price"], price["source"]) == (
        "EUR",
        "0.35",
        "list_price",
    )
    assert Decimal(item["availability"]["available"]) == Decimal("12")

    buyer = await lifecycle.customer(suite, "Tornillería Catálogo")
    line = {"sku": code, "kind": "product", "quantity": "10", "tax_rate": "21"}
    order = await lifecycle.create_order(suite, buyer["id"], [line])
    assert order["lines"][0]["unit_price"] == "0.35"
    assert order["lines"][0]["description"] == "Hex bolt M8"
    assert order["totals"]["gross"] == "4.24"  # 3.50 + 21 %

    assert (await lifecycle.order_action(suite, order["id"], "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order["id"], fulfilment="reserved")
    # The reservation reaches the view too: available 12 - 10.
    await lifecycle.catalogued(
        suite,
        code,
        availability={
            "on_hand": "12.000",
            "reserved": "10.000",
            "available": "2.000",
            "warehouses": [
                {
                    "warehouse": "MAIN",
                    "on_hand": "12.000",
                    "reserved": "10.000",
                    "available": "2.000",
                }
            ],
        },
    )

    async with suite.client("orders") as orders:
        unknown = await orders.post(
            "/orders",
            json={
                "customer_id": buyer["id"],
                "currency": "EUR",
                "lines": [{**line, "sku": "NOBODY-KNOWS", "unit_price": "1.00"}],
            },
        )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["errors"][0]["field"] == "body.lines.0.sku"
    assert "NOBODY-KNOWS" in unknown.json()["errors"][0]["message"]
