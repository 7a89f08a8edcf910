"""Invoicing across the four services as separate processes: a JPY and a BHD order end to end,
their totals right on the order, the invoice and the printed PDF; a 30 % down payment, then the
final invoice deducting it, the order paid only once both invoices are."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle

# Run alone, the first test also starts the four services (minutes on a loaded machine).
pytestmark = pytest.mark.timeout(900)


async def order_in(
    suite: Suite, currency: str, lines: list[dict[str, Any]], name: str
) -> dict[str, Any]:
    buyer = await lifecycle.customer(suite, name)
    async with suite.client("orders") as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": buyer["id"],
                "currency": currency,
                "lines": lines,
                "payment_terms": {"days": 30},
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


def line(code: str, quantity: str, price: str, rate: str = "10") -> dict[str, Any]:
    return {**lifecycle.product_line(code, quantity, price), "tax_rate": rate}


async def deliver_and_complete(suite: Suite, order: dict[str, Any], shipped: list[Any]) -> None:
    assert (await lifecycle.order_action(suite, order["id"], "confirm")).status_code == 200
    await lifecycle.order_reaches(suite, order["id"], fulfilment="reserved")
    assert (await lifecycle.ship(suite, order["id"], shipped)).status_code == 201
    await lifecycle.order_reaches(suite, order["id"], fulfilment="shipped")
    completed = await lifecycle.order_action(suite, order["id"], "complete")
    assert completed.status_code == 200, completed.text


async def invoice_pdf(suite: Suite, order_id: str, number: str) -> str:
    async def printed() -> dict[str, Any] | None:
        found = [
            d
            for d in await lifecycle.documents_of(suite, order_id)
            if d["kind"] == "invoice" and d["reference"] == number
        ]
        return found[0] if found else None

    return await lifecycle.pdf_text(suite, await eventually(printed, within=120))


async def test_a_jpy_and_a_bhd_order_are_invoiced_in_their_own_minor_units(suite: Suite) -> None:
    yen_item, dinar_item = (
        await lifecycle.stocked_product(suite, "10"),
        await lifecycle.stocked_product(suite, "10"),
    )
    # JPY, no minor digits: 3 × 333.5 = 1000.5 → 1001 net, 10 % → 100, 1101 gross
    yen = await order_in(suite, "JPY", [line(yen_item, "3", "333.5")], "Yen Trading KK")
    # BHD, three: 3 × 0.415 = 1.245 net, 10 % → 0.1245 → 0.125, 1.370 gross
    dinar = await order_in(suite, "BHD", [line(dinar_item, "3", "0.415")], "Dinar Trading WLL")
    assert (yen["totals"]["net"], yen["totals"]["tax"], yen["totals"]["gross"]) == (
        "1001",
        "100",
        "1101",
    )
    assert (dinar["totals"]["net"], dinar["totals"]["tax"], dinar["totals"]["gross"]) == (
        "1.245",
        "0.125",
        "1.370",
    )
    await deliver_and_complete(suite, yen, [(yen_item, "3")])
    await deliver_and_complete(suite, dinar, [(dinar_item, "3")])

    for order, gross, printed in ((yen, "1101", "1,101"), (dinar, "1.370", "1.370")):
        settled = await lifecycle.order_reaches(
            suite, order["id"], status="concluded", billing="invoiced"
        )
        assert (settled["invoiced_total"], settled["uninvoiced_total"]) == (
            gross,
            "0" if gross == "1101" else "0.000",
        )
        [invoice] = await lifecycle.invoices_of(suite, order["id"])
        assert invoice["currency"] == order["currency"]
        assert invoice["totals"] == {
            "net": order["totals"]["net"],
            "tax": order["totals"]["tax"],
            "gross": gross,
            "taxes": [
                {"rate": "10", "base": order["totals"]["net"], "amount": order["totals"]["tax"]}
            ],
        }
        assert invoice["balance"] == gross
        text = await invoice_pdf(suite, order["id"], invoice["number"])
        assert f"{printed} {order['currency']}" in text, text


async def test_a_down_payment_then_the_final_invoice_deducting_it(suite: Suite) -> None:
    code = await lifecycle.stocked_product(suite, "20")
    buyer = await lifecycle.customer(suite, "Deposit Builders SL")
    order = await lifecycle.create_order(
        suite, buyer["id"], [lifecycle.product_line(code, "10", "11.00")]
    )  # 110.00 + 23.10 = 133.10
    assert (await lifecycle.order_action(suite, order["id"], "confirm")).status_code == 200

    async with suite.client("billing") as billing:

        async def known() -> bool:
            response = await billing.get(f"/orders/{order['id']}/invoicing")
            return response.status_code == 200 and response.json()["currency"] == "EUR"

        await eventually(known, within=60)
        refused = await billing.post(
            f"/orders/{order['id']}/down-payments", json={"percent": "101"}
        )
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["body.percent"]
        created = await billing.post(
            f"/orders/{order['id']}/down-payments",
            json={"percent": "30"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert created.status_code == 201, created.text
        down = created.json()
    assert down["totals"]["gross"] == "39.93"
    await lifecycle.order_reaches(suite, order["id"], billing="partially_invoiced")
    await pay(suite, down["id"], "39.93")
    # Paid in advance, but most of the order is not even invoiced: not `paid`.
    await lifecycle.order_reaches(suite, order["id"], billing="partially_paid")

    assert (await lifecycle.ship(suite, order["id"], [(code, "10")])).status_code == 201
    await lifecycle.order_reaches(suite, order["id"], fulfilment="shipped")
    assert (await lifecycle.order_action(suite, order["id"], "complete")).status_code == 200
    await lifecycle.order_reaches(
        suite, order["id"], status="concluded", invoiced_total="133.10", billing="partially_paid"
    )
    [final] = [i for i in await lifecycle.invoices_of(suite, order["id"]) if i["id"] != down["id"]]
    assert final["totals"]["gross"] == "93.17"
    assert [(x["sku"], x["gross_amount"]) for x in final["lines"]][-1] == (
        "DOWN-PAYMENT",
        "-39.93",
    )
    text = await invoice_pdf(suite, order["id"], final["number"])
    assert "93.17" in text
    assert "-33.00" in text  # the deduction line's net (39.93 gross), printed as it is
    async with suite.client("orders") as orders:
        timeline = (await orders.get(f"/orders/{order['id']}/timeline")).json()["items"]
    summaries = [entry["summary"] for entry in timeline]
    assert f"Down-payment invoice {down['number']} issued: 39.93 EUR" in summaries
    assert any(s.startswith("Down payment of 39.93 EUR deducted") for s in summaries), summaries
    await pay(suite, final["id"], "93.17")
    await lifecycle.order_reaches(suite, order["id"], billing="paid")


async def pay(suite: Suite, invoice_id: str, amount: str) -> None:
    async with suite.client("billing", "accounting") as billing:
        paid = await billing.post(
            f"/invoices/{invoice_id}/payments",
            json={"amount": amount},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert paid.status_code == 201, paid.text
