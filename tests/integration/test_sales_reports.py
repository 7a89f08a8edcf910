"""The sales reports across the services: billing issues a real invoice and then a credit note,
and orders' revenue and open receivables (its sales read model, fed by billing's events) drop
by the credit note."""

from __future__ import annotations

from typing import Any

from servicekit.testing import Suite, eventually
from tests.integration import test_credit_notes as credit_notes
from tests.integration import test_order_lifecycle as lifecycle


async def _report(suite: Suite, name: str, customer_id: str) -> list[dict[str, Any]]:
    async with suite.client("orders") as orders:
        response = await orders.get(f"/reports/{name}", params={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_credit_note_lowers_revenue_and_receivables(suite: Suite) -> None:
    bolts = await lifecycle.stocked_product(suite, "20")
    buyer = await lifecycle.customer(suite, "Sales Reports Trading Ltd")
    order = await lifecycle.create_order(
        suite, buyer["id"], [lifecycle.product_line(bolts, "10", "2.50")]
    )
    order_id = order["id"]
    assert (await lifecycle.order_action(suite, order_id, "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")
    shipped = await lifecycle.ship(suite, order_id, [(bolts, "10")])
    assert shipped.status_code == 201, shipped.text
    await lifecycle.order_reaches(suite, order_id, fulfilment="shipped")
    assert (await lifecycle.order_action(suite, order_id, "complete")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, billing="invoiced")
    [invoice] = await lifecycle.invoices_of(suite, order_id)
    assert invoice["totals"]["gross"] == "30.25"  # 25.00 * 1.21

    async def figures(net: str, open_: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        revenue = await _report(suite, "revenue", buyer["id"])
        receivables = await _report(suite, "receivables", buyer["id"])
        if not revenue or not receivables:
            return None
        if (revenue[0]["net"], receivables[0]["open"]) != (net, open_):
            return None
        return revenue[0], receivables[0]

    revenue, receivables = await eventually(lambda: figures("25.00", "30.25"), within=60)
    assert (revenue["invoices"], revenue["credit_notes"]) == (1, 0)
    assert (receivables["invoices"], receivables["gross"]) == (1, "30.25")

    # 4 of the 10 bolts credited: 10.00 net, 12.10 gross off the invoice.
    partial = {"reason": "4 bolts arrived bent", "lines": [{"line_no": 1, "quantity": "4"}]}
    response = await credit_notes._credit(suite, invoice["id"], partial)
    assert response.status_code == 201, response.text
    assert response.json()["applied_amount"] == "12.10"

    revenue, receivables = await eventually(lambda: figures("15.00", "18.15"), within=60)
    assert (revenue["credit_notes"], revenue["invoiced_net"], revenue["credited_net"]) == (
        1,
        "25.00",
        "10.00",
    )
    assert revenue["gross"] == "18.15"
    assert (receivables["net"], receivables["gross"]) == ("25.00", "30.25")  # as invoiced
