"""Changing a confirmed order across the services: revised up, inventory reserves the extra
and lets what it cannot reserve wait (backordered) until stock arrives; revised down, it
releases the difference; documents renders the confirmation again as a new revision, the
earlier one kept, and the timeline shows what changed and who changed it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from servicekit.testing import Suite, bearer, eventually
from tests.integration import test_order_lifecycle as lifecycle

D = Decimal
SALES = bearer("sales", subject="rita")


async def revise(suite: Suite, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Revise as a client does: read the order's ETag, and read it again and reapply on a 412
    (an event of another service, such as its confirmation's PDF, may land in between)."""
    async with suite.client("orders") as orders:
        for _ in range(5):
            etag = (await orders.get(f"/orders/{order_id}")).headers["ETag"]
            response = await orders.post(
                f"/orders/{order_id}/revisions", json=body, headers={**SALES, "If-Match": etag}
            )
            if response.status_code != 412:
                break
    assert response.status_code == 200, response.text
    revised: dict[str, Any] = response.json()
    return revised


async def confirmations(suite: Suite, order_id: str, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = [
            d
            for d in await lifecycle.documents_of(suite, order_id)
            if d["kind"] == "order_confirmation"
        ]
        return found if len(found) == count else None

    found: list[dict[str, Any]] = await eventually(enough, within=90)
    return found


async def test_a_confirmed_order_revised_up_and_down(suite: Suite) -> None:
    bolts = await lifecycle.stocked_product(suite, "10")
    nuts = await lifecycle.stocked_product(suite, "3")
    buyer = await lifecycle.customer(suite, "Revised Orders Ltd")
    order = await lifecycle.create_order(
        suite,
        buyer["id"],
        [lifecycle.product_line(bolts, "4", "2.00"), lifecycle.product_line(nuts, "1", "1.00")],
    )
    order_id, number = order["id"], order["number"]
    assert (await lifecycle.order_action(suite, order_id, "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")

    # Up: 4 → 9 bolts can be reserved (10 on hand); 1 → 5 nuts cannot (3 on hand): they wait.
    await revise(
        suite,
        order_id,
        {"lines": [{"line_no": 1, "quantity": "9"}, {"line_no": 2, "quantity": "5"}]},
    )
    await lifecycle.order_reaches(suite, order_id, fulfilment="backordered")
    assert (await lifecycle.stock(suite, bolts))["reserved"] == D(9)
    assert (await lifecycle.stock(suite, nuts))["reserved"] == D(1)  # the increase waits whole

    # Stock arrives: the wait is reserved and the order is reserved again.
    async with suite.client("inventory") as inventory:
        receipt = await inventory.post(
            "/stock/adjustments",
            json={"sku": nuts, "kind": "receipt", "quantity": "2", "reason": "restock"},
        )
        assert receipt.status_code == 201, receipt.text
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")
    assert (await lifecycle.stock(suite, nuts))["reserved"] == D(5)

    # Down: bolts 9 → 2, the nuts line removed; both differences are released. The order's
    # delivery is promised, the bolts' a day later.
    promised = date.today() + timedelta(days=20)
    line_promised = promised + timedelta(days=1)
    revised = await revise(
        suite,
        order_id,
        {
            "lines": [
                {"line_no": 1, "quantity": "2", "promised_delivery_date": line_promised.isoformat()}
            ],
            "promised_delivery_date": promised.isoformat(),
        },
    )
    assert [(line["line_no"], line["quantity"]) for line in revised["lines"]] == [(1, "2")]
    assert revised["promised_delivery_date"] == promised.isoformat()

    async def released() -> bool:
        bolt_level, nut_level = (
            await lifecycle.stock(suite, bolts),
            await lifecycle.stock(suite, nuts),
        )
        return bolt_level["reserved"] == D(2) and nut_level["reserved"] == D(0)

    await eventually(released, within=60)
    await lifecycle.order_reaches(suite, order_id, fulfilment="reserved")

    # Three confirmations: as confirmed, and one per revision; the newest is read back.
    documents = await confirmations(suite, order_id, 3)
    references = sorted(d["reference"] for d in documents)
    assert references == [number, f"{number}-R1", f"{number}-R2"]
    latest = next(d for d in documents if d["reference"] == f"{number}-R2")
    text = await lifecycle.pdf_text(suite, latest)
    assert f"{number}-R2" in text
    assert "4.84" in text  # 2 × 2.00 + 21 % tax
    assert promised.isoformat() in text
    assert f"Promised delivery: {line_promised.isoformat()}" in text
    current = await lifecycle.get_order(suite, order_id)
    assert {d["reference"] for d in current["documents"]} >= set(references)

    async with suite.client("orders") as orders:
        listed = (await orders.get(f"/orders/{order_id}/revisions")).json()["items"]
        timeline = (await orders.get(f"/orders/{order_id}/timeline")).json()["items"]
    assert [(r["revision"], r["actor"]) for r in listed] == [(1, "rita"), (2, "rita")]
    second = {c["field"]: (c["before"], c["after"]) for c in listed[1]["changes"]}
    assert second["lines.1.quantity"] == ("9", "2")
    assert second["lines.2"][1] is None
    assert second["promised_delivery_date"] == (None, promised.isoformat())
    assert second["lines.1.promised_delivery_date"] == (None, line_promised.isoformat())
    types = [entry["type"] for entry in timeline]
    assert types.count("suite.order.revised.v1") == 2
    assert types.count("suite.stock.reservation_changed.v1") == 3  # two revisions, one wait

    # Never below what has shipped.
    shipped = await lifecycle.ship(suite, order_id, [(bolts, "2")])
    assert shipped.status_code == 201, shipped.text
    await lifecycle.order_reaches(suite, order_id, fulfilment="shipped")
    async with suite.client("orders") as orders:
        below = await orders.post(
            f"/orders/{order_id}/revisions",
            json={"lines": [{"line_no": 1, "quantity": "1"}]},
            headers=SALES,
        )
    assert below.status_code == 409, below.text
