"""Returns across the services: goods shipped and invoiced come back; inventory restocks (or
scraps) them, billing credits every returned line at the invoiced prices, and the order shows
what came back per line and ends up credited."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from contracts import EventType
from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle


async def _post(suite: Suite, service: str, role: str, path: str, body: dict[str, Any]) -> Any:
    async with suite.client(service, role) as client:
        response = await client.post(
            path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_a_return_is_restocked_and_credited_end_to_end(suite: Suite) -> None:
    bolts, nuts = (
        await lifecycle.stocked_product(suite, "20"),
        await lifecycle.stocked_product(suite, "10"),
    )
    buyer = await lifecycle.customer(suite, "Return Trading Ltd")
    order = await lifecycle.create_order(
        suite,
        buyer["id"],
        [lifecycle.product_line(bolts, "10", "2.50"), lifecycle.product_line(nuts, "4", "1.25")],
    )
    order_id = order["id"]
    assert (await lifecycle.order_action(suite, order_id, "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")
    shipped = await lifecycle.ship(suite, order_id, [(bolts, "10"), (nuts, "4")])
    assert shipped.status_code == 201, shipped.text
    await lifecycle.order_reaches(suite, order_id, fulfilment="shipped")
    assert (await lifecycle.order_action(suite, order_id, "complete")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, billing="invoiced")
    [invoice] = await lifecycle.invoices_of(suite, order_id)
    assert invoice["totals"]["gross"] == "36.30"  # (25.00 + 5.00) * 1.21

    # Everything comes back: the bolts are restocked, the nuts scrapped.
    authorised = await _post(
        suite,
        "inventory",
        "sales",
        "/returns",
        {
            "order_id": order_id,
            "reason": "order withdrawn",
            "lines": [{"sku": bolts, "quantity": "10"}, {"sku": nuts, "quantity": "4"}],
        },
    )
    received = await _post(
        suite,
        "inventory",
        "warehouse",
        f"/returns/{authorised['id']}/receive",
        {
            "lines": [
                {"sku": bolts, "disposition": "restock"},
                {"sku": nuts, "disposition": "scrap"},
            ],
            "note": "nuts rusty",
        },
    )
    assert received["status"] == "received"
    assert (await lifecycle.stock(suite, bolts))["on_hand"] == Decimal("20")  # restocked
    assert (await lifecycle.stock(suite, nuts))["on_hand"] == Decimal("6")  # scrapped

    # Billing credits the returned lines at the invoiced prices: the order is credited.
    await lifecycle.order_reaches(suite, order_id, billing="credited")

    async def credited_on_timeline() -> list[dict[str, Any]] | None:
        async with suite.client("orders") as orders:
            found = (await orders.get(f"/orders/{order_id}/timeline")).json()["items"]
        entries = [e for e in found if e["type"] == EventType.CREDIT_NOTE_ISSUED.value]
        return entries or None

    [entry] = await eventually(credited_on_timeline, within=60)
    assert f"for invoice {invoice['number']}: 36.30 EUR" in entry["summary"]
    current = await lifecycle.get_order(suite, order_id)
    assert [(line["sku"], line["returned_quantity"]) for line in current["lines"]] == [
        (bolts, "10"),
        (nuts, "4"),
    ]
