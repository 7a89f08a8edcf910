"""The catalogue items, customer groups and an opportunity's orders as CSV on a running service
(real PostgreSQL, inventory's events over a real broker): the header, a row's values, the list's
filters honoured, a caller the list refuses refused."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from contracts import PAYLOADS, EventType, new_event
from orders.entrypoints.exports_api import GROUP_COLUMNS, ITEM_COLUMNS, ORDER_COLUMNS
from servicekit.testing import bearer, eventually


async def exported(
    service: Any, path: str, columns: tuple[str, ...], **params: str
) -> list[dict[str, str]]:
    response = await service.client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    filename = path.rsplit("/", 1)[-1]
    if path.startswith("/exports/opportunities/"):
        filename = "opportunity-orders.csv"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    reader = csv.DictReader(io.StringIO(response.text))
    assert tuple(reader.fieldnames or ()) == columns
    return list(reader)


def inventory_event(event_type: EventType, payload: dict[str, Any], sku: str, seq: int) -> Any:
    model = PAYLOADS[event_type].model_validate(payload)
    event = new_event(event_type, model, source="/inventory", subject=sku)
    return event.model_copy(update={"sequence": seq})


async def test_items_export_with_availability_and_the_list_filters(orders_service: Any) -> None:
    marker = uuid.uuid4().hex[:6].upper()
    sku, old = f"EXP-{marker}", f"EXQ-{marker}"
    prices = [{"currency": "JPY", "amount": "250"}, {"currency": "EUR", "amount": "2.5"}]
    products = [
        ({"sku": sku, "name": "Hex bolt", "kind": "product", "list_prices": prices}, sku),
        ({"sku": old, "name": "Old bolt", "kind": "product", "active": False}, old),
    ]
    for payload, key in products:
        event = inventory_event(EventType.PRODUCT_CHANGED, payload, key, 1)
        await orders_service.send("inventory.events", event, key)
    level = {
        "sku": sku,
        "warehouse": "MAIN",
        "on_hand": "10",
        "reserved": "2.5",
        "available": "7.5",
    }
    event = inventory_event(EventType.STOCK_LEVEL_CHANGED, level, sku, 2)
    await orders_service.send("inventory.events", event, sku)

    async def both() -> list[dict[str, str]] | None:
        rows = await exported(orders_service, "/exports/items.csv", ITEM_COLUMNS, q=marker)
        return rows if len(rows) == 2 and rows[0]["available"] == "7.5" else None

    rows = await eventually(both, within=20, interval=0.2)
    assert [r["sku"] for r in rows] == [sku, old]  # SKU order
    assert {k: rows[0][k] for k in ("active", "list_prices", "on_hand", "reserved")} == {
        "active": "true",
        "list_prices": "EUR 2.50 JPY 250",  # each in its currency's minor unit
        "on_hand": "10",
        "reserved": "2.5",
    }
    active = await exported(
        orders_service, "/exports/items.csv", ITEM_COLUMNS, q=marker, active="false"
    )
    assert [r["sku"] for r in active] == [old]
    refused = await orders_service.client.get("/exports/items.csv", headers=bearer())
    assert refused.status_code == 403


async def test_customer_groups_and_an_opportunitys_orders_export(orders_service: Any) -> None:
    client = orders_service.client
    code = f"g{uuid.uuid4().hex[:8]}"
    made = await client.post("/customer-groups", json={"code": code, "name": "=Wholesale"})
    assert made.status_code == 201, made.text
    groups = await exported(orders_service, "/exports/customer-groups.csv", GROUP_COLUMNS)
    assert [r["code"] for r in groups] == sorted(r["code"] for r in groups)
    [group] = [r for r in groups if r["code"] == code]
    assert (group["name"], group["description"]) == ("'=Wholesale", "")

    customer = await orders_service.new_customer("Opportunity AG")
    opportunity = f"OPP-{uuid.uuid4().hex[:8]}"
    line = {
        "sku": "BOLT-10",
        "kind": "product",
        "description": "Bolts",
        "quantity": "4",
        "unit_price": "2.50",
        "tax_rate": "21",
    }
    body = {"customer_id": customer["id"], "currency": "EUR", "lines": [line]}
    named = {**body, "opportunity": {"id": opportunity, "name": "Fleet"}}
    first = await orders_service.created("/orders", named)
    second = await orders_service.created("/orders", {**named, "customer_reference": "PO-7"})
    await orders_service.created("/orders", body)  # not the opportunity's
    path = f"/exports/opportunities/{opportunity}/orders.csv"
    rows = await exported(orders_service, path, ORDER_COLUMNS, direction="asc")
    assert [(r["number"], r["gross_total"]) for r in rows] == [
        (first["number"], "12.10"),
        (second["number"], "12.10"),
    ]
    only = await exported(orders_service, path, ORDER_COLUMNS, q="PO-7")
    assert [r["id"] for r in only] == [second["id"]]
    unknown = await client.get("/exports/opportunities/OPP-none/orders.csv")
    assert unknown.status_code == 404

    for name in ("customer-groups.csv", f"opportunities/{opportunity}/orders.csv"):
        refused = await client.get(f"/exports/{name}", headers=bearer())
        assert refused.status_code == 403, name
