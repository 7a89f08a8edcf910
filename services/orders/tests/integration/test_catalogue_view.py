"""The catalogue view of a running service, fed over a real broker by inventory's events:
order lines priced from it, unknown or inactive SKUs refused (HTTP) or dead-lettered (inbound),
and the item look-up answering price and availability at once."""

from __future__ import annotations

import json
import uuid
from typing import Any

from contracts import PAYLOADS, CloudEvent, EventType, new_event
from contracts.events import OrderSubmitted
from servicekit import dlq
from servicekit.testing import eventually


def inventory_event(event_type: EventType, payload: dict[str, Any], sku: str, seq: int) -> Any:
    model = PAYLOADS[event_type].model_validate(payload)
    event = new_event(event_type, model, source="/inventory", subject=sku)
    return event.model_copy(update={"sequence": seq})


async def item_known(service: Any, sku: str, **expected: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await service.client.get(f"/items/{sku}", params={"currency": "EUR"})
        if response.status_code != 200:
            return None
        item: dict[str, Any] = response.json()
        return item if all(item[k] == v for k, v in expected.items()) else None

    found: dict[str, Any] = await eventually(probe, within=20, interval=0.1)
    return found


def order_line(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "kind": "product", "quantity": "4", "tax_rate": "21", **fields}


async def test_lines_are_priced_from_the_view_and_unknown_skus_refused(
    strict_orders_service: Any,
) -> None:
    service = strict_orders_service
    sku, gone = f"CAT-{uuid.uuid4().hex[:6].upper()}", f"OLD-{uuid.uuid4().hex[:6].upper()}"
    product = {"sku": sku, "name": "Hex bolt M8", "kind": "product", "barcode": "4006381333931"}
    priced = {**product, "list_prices": [{"currency": "EUR", "amount": "2.50"}]}
    await service.send(
        "inventory.events", inventory_event(EventType.PRODUCT_CHANGED, priced, sku, 1), sku
    )
    level = {"sku": sku, "warehouse": "MAIN", "on_hand": "10", "reserved": "3", "available": "7"}
    await service.send(
        "inventory.events", inventory_event(EventType.STOCK_LEVEL_CHANGED, level, sku, 2), sku
    )
    stale = {**level, "on_hand": "99", "available": "96"}  # overtaken by the level above
    await service.send(
        "inventory.events", inventory_event(EventType.STOCK_LEVEL_CHANGED, stale, sku, 1), sku
    )
    withdrawn = {"sku": gone, "name": "Old bolt", "kind": "product", "active": False}
    await service.send(
        "inventory.events", inventory_event(EventType.PRODUCT_CHANGED, withdrawn, gone, 1), gone
    )
    await item_known(service, gone, active=False)

    item = await item_known(service, sku)
    price = item["price"]
    assert (price["currency"], price["unit_price"], price["source"]) == (
        "EUR",
        "2.50",
        "list_price",
    )
    assert item["availability"]["available"] == "7.000"
    assert item["availability"]["warehouses"][0]["warehouse"] == "MAIN"
    by_barcode = (await service.client.get("/items", params={"q": "4006381333931"})).json()
    assert sku in [i["sku"] for i in by_barcode["items"]]

    customer = await service.new_customer("Catálogo S.A.")
    order = await service.created(
        "/orders",
        {"customer_id": customer["id"], "currency": "EUR", "lines": [order_line(sku)]},
    )
    assert (order["lines"][0]["unit_price"], order["lines"][0]["description"]) == (
        "2.50",
        "Hex bolt M8",
    )
    assert order["totals"]["net"] == "10.00"

    for bad_sku, reason in ((f"NOPE-{uuid.uuid4().hex[:6]}", "unknown"), (gone, "inactive")):
        refused = await service.client.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "lines": [order_line(sku), order_line(bad_sku, unit_price="1.00")],
            },
        )
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == "body.lines.1.sku"
        assert reason in error["message"]
        assert bad_sku in error["message"]
    no_price = await service.client.post(
        "/orders",
        json={"customer_id": customer["id"], "currency": "USD", "lines": [order_line(sku)]},
    )
    assert no_price.status_code == 422
    assert no_price.json()["errors"][0]["field"] == "body.lines.0.unit_price"


async def test_an_inbound_order_for_an_unknown_sku_is_dead_lettered_with_the_reason(
    strict_orders_service: Any,
) -> None:
    service = strict_orders_service
    reference, ghost = f"SHOP-{uuid.uuid4().hex[:8]}", f"GHOST-{uuid.uuid4().hex[:6]}"
    payload = OrderSubmitted.model_validate(
        {
            "external_reference": reference,
            "customer": {"name": "Webshop Customer", "email": f"{reference}@example.com"},
            "currency": "EUR",
            "lines": [{"sku": ghost, "quantity": "1", "unit_price": "9.99", "tax_rate": "21"}],
        }
    )
    submitted: CloudEvent[Any] = new_event(
        EventType.ORDER_SUBMITTED, payload, source="/webshop", subject=reference
    )
    await service.send("orders.inbound", submitted, reference)

    async def dead_letter() -> list[dlq.DeadLetter] | None:
        letters = await dlq.read_dead_letters(
            service.kafka, service.kafka.topic("orders.inbound.dlq"), wait_seconds=2
        )
        mine = [d for d in letters if json.loads(d.value or b"{}")["id"] == submitted.id]
        return mine or None

    [letter] = await eventually(dead_letter, within=20)
    assert letter.headers[dlq.ERROR_TYPE] == "PermanentError"
    assert ghost in letter.error
    assert "unknown SKU" in letter.error
    listed = await service.client.get("/orders", params={"external_reference": reference})
    assert listed.json()["items"] == []


async def test_an_order_names_only_a_warehouse_the_view_knows_as_active(
    strict_orders_service: Any,
) -> None:
    service = strict_orders_service
    east = f"E{uuid.uuid4().hex[:6].upper()}"
    customer = await service.new_customer("Almacenes S.L.")

    async def ordered(warehouse: str) -> Any:
        return await service.client.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "warehouse": warehouse,
                "lines": [
                    {"sku": "SETUP", "kind": "service", "quantity": "1", "unit_price": "5"}
                    | {"tax_rate": "21"}
                ],
            },
        )

    assert (await ordered("MAIN")).status_code == 201  # known before any event
    unknown = await ordered(east)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "body.warehouse")

    changed = {"code": east, "name": "East", "priority": 5, "is_default": False, "active": True}
    event = inventory_event(EventType.WAREHOUSE_CHANGED, changed, east, 1)
    await service.send("inventory.events", event, east)
    await service.send("inventory.events", event, east)  # redelivered: applied once

    async def accepted() -> Any:
        response = await ordered(east)
        return response if response.status_code == 201 else None

    await eventually(accepted, within=20, interval=0.2)
    gone = {**changed, "active": False}
    await service.send(
        "inventory.events", inventory_event(EventType.WAREHOUSE_CHANGED, gone, east, 2), east
    )

    async def refused() -> Any:
        response = await ordered(east)
        return response if response.status_code == 422 else None

    inactive = await eventually(refused, within=20, interval=0.2)
    [error] = inactive.json()["errors"]
    assert (error["field"], "inactive" in error["message"]) == ("body.warehouse", True)

    # A warehouse event that is not one goes to the dead-letter topic; the view goes on.
    broken = event.model_dump(mode="json") | {"id": str(uuid.uuid4()), "data": {"code": east}}
    await service.send("inventory.events", json.dumps(broken).encode(), east)

    async def dead_letter() -> list[dlq.DeadLetter] | None:
        letters = await dlq.read_dead_letters(
            service.kafka, service.kafka.topic("inventory.events.dlq"), wait_seconds=2
        )
        mine = [d for d in letters if json.loads(d.value or b"{}")["id"] == broken["id"]]
        return mine or None

    await eventually(dead_letter, within=20)
    assert (await ordered(east)).status_code == 422
