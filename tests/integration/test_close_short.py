"""Ending an order honestly across the services: an open order with shipped goods is closed
short, inventory releases the unshipped remainder, and the order completes and is invoiced for
exactly what shipped."""

from __future__ import annotations

from decimal import Decimal

from servicekit.testing import Suite
from tests.integration import test_order_lifecycle as lifecycle


async def test_close_short_releases_the_remainder_and_invoices_what_shipped(
    suite: Suite,
) -> None:
    bolts, nuts = (
        await lifecycle.stocked_product(suite, "20"),
        await lifecycle.stocked_product(suite, "5"),
    )
    buyer = await lifecycle.customer(suite, "Short Close Ltd")
    order = await lifecycle.create_order(
        suite,
        buyer["id"],
        [lifecycle.product_line(bolts, "10", "2.50"), lifecycle.product_line(nuts, "4", "1.25")],
    )
    order_id = order["id"]
    nothing_shipped = await lifecycle.order_action(suite, order_id, "close-short")
    assert nothing_shipped.status_code == 409, nothing_shipped.text  # a draft: nothing to close
    assert (await lifecycle.order_action(suite, order_id, "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")
    not_yet = await lifecycle.order_action(suite, order_id, "close-short")
    assert not_yet.status_code == 409, not_yet.text  # nothing shipped: cancel it instead
    assert not_yet.headers["content-type"] == "application/problem+json"

    shipped = await lifecycle.ship(suite, order_id, [(bolts, "6")])
    assert shipped.status_code == 201, shipped.text
    await lifecycle.order_reaches(suite, order_id, fulfilment="partially_shipped")

    closing = await lifecycle.order_action(
        suite, order_id, "close-short", {"reason": "the rest is discontinued"}
    )
    assert closing.status_code == 200, closing.text
    assert closing.json()["closed_short_at"] is not None
    done = await lifecycle.order_reaches(
        suite, order_id, status="concluded", fulfilment="shipped", billing="invoiced"
    )
    assert [
        (line["sku"], Decimal(line["shipped_quantity"]), Decimal(line["cancelled_quantity"]))
        for line in done["lines"]
    ] == [(bolts, Decimal("6"), Decimal("4")), (nuts, Decimal("0"), Decimal("4"))]
    assert done["totals"]["gross"] == "18.15"  # 6 × 2.50 × 1.21

    # Inventory released the remainder: nothing of the order is held any more.
    assert await lifecycle.stock(suite, bolts) == {
        "on_hand": Decimal("14"),
        "reserved": Decimal("0"),
        "available": Decimal("14"),
    }
    assert (await lifecycle.stock(suite, nuts))["reserved"] == Decimal("0")

    [invoice] = await lifecycle.invoices_of(suite, order_id)
    assert invoice["totals"]["gross"] == "18.15"
    assert [(line["sku"], Decimal(line["quantity"])) for line in invoice["lines"]] == [
        (bolts, Decimal("6"))
    ]
    again = await lifecycle.order_action(suite, order_id, "close-short")
    assert again.status_code == 409  # concluded

    async with suite.client("orders") as orders:
        timeline = (await orders.get(f"/orders/{order_id}/timeline")).json()["items"]
    types = [entry["type"] for entry in timeline]
    closed_at = types.index("suite.order.closed_short.v1")
    assert "suite.stock.released.v1" in types[closed_at:]
    assert "suite.order.completed.v1" in types[closed_at:]
