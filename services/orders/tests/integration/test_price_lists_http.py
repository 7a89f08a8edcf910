"""Price lists over HTTP on a running service: created, overlap refused, lines priced from them
with quantity breaks, and the item look-up answering the customer's price."""

from __future__ import annotations

import uuid
from typing import Any

from contracts import EventType, new_event
from contracts.events import ProductChanged
from servicekit.testing import eventually


async def test_a_customers_price_list_prices_lines_by_quantity_break(orders_service: Any) -> None:
    service, client = orders_service, orders_service.client
    sku = f"PL-{uuid.uuid4().hex[:6].upper()}"
    product = ProductChanged(
        sku=sku, name="Washer", kind="product", list_prices=[{"currency": "EUR", "amount": "0.20"}]
    )
    await service.send(
        "inventory.events",
        new_event(EventType.PRODUCT_CHANGED, product, source="/inventory", subject=sku),
        sku,
    )

    async def known() -> bool:
        return (await client.get(f"/items/{sku}")).status_code == 200

    await eventually(known, within=20, interval=0.1)
    customer = await service.new_customer("Arandelas SL")
    body = {
        "name": "Arandelas 2026",
        "currency": "EUR",
        "customer_id": customer["id"],
        "valid_from": "2026-01-01",
        "entries": [
            {"sku": sku, "min_quantity": "0", "unit_price": "0.18"},
            {"sku": sku, "min_quantity": "500", "discount_percent": "25"},
        ],
    }
    price_list = await service.created("/price-lists", body)
    assert [e["unit_price"] for e in price_list["entries"]] == ["0.18", None]

    overlapping = await client.post(
        "/price-lists", json={**body, "name": "Another", "valid_from": "2026-06-01"}
    )
    assert overlapping.status_code == 409, overlapping.text
    assert overlapping.json()["price_list_id"] == price_list["id"]
    bad = await client.post(
        "/price-lists", json={**body, "valid_from": "2027-01-01", "valid_to": "2026-01-01"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.valid_to"

    look_up = await client.get(
        f"/items/{sku}",
        params={"currency": "EUR", "customer_id": customer["id"], "quantity": "600"},
    )
    price = look_up.json()["price"]
    assert (price["unit_price"], price["source"], price["price_list_id"]) == (
        "0.15",
        "price_list",
        price_list["id"],
    )

    line = {"sku": sku, "kind": "product", "tax_rate": "21"}
    order = await service.created(
        "/orders",
        {
            "customer_id": customer["id"],
            "currency": "EUR",
            "order_date": "2026-03-01",
            "lines": [{**line, "quantity": "10"}, {**line, "quantity": "500"}],
        },
    )
    assert [ln["unit_price"] for ln in order["lines"]] == ["0.18", "0.15"]
    listed = (await client.get("/price-lists", params={"customer_id": customer["id"]})).json()
    assert [p["id"] for p in listed["items"]] == [price_list["id"]]
    replaced = await client.put(
        f"/price-lists/{price_list['id']}", json={**body, "entries": body["entries"][:1]}
    )
    assert replaced.status_code == 200, replaced.text
    assert len(replaced.json()["entries"]) == 1
    assert replaced.json()["created_at"] == price_list["created_at"]
    assert (await client.delete(f"/price-lists/{price_list['id']}")).status_code == 204
    assert (await client.get(f"/price-lists/{price_list['id']}")).status_code == 404
