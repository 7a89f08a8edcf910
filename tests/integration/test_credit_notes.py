"""Credit notes across the services: accounting credits part of an invoice in billing, the
order's timeline shows it, documents renders the credit note's PDF, and crediting the rest
makes the order `credited`."""

from __future__ import annotations

import uuid
from typing import Any

from contracts import EventType
from servicekit.testing import Suite, eventually
from tests.integration import test_order_lifecycle as lifecycle


async def _credit(suite: Suite, invoice_id: str, body: dict[str, Any], *roles: str) -> Any:
    async with suite.client("billing", *(roles or ("accounting",))) as billing:
        return await billing.post(
            f"/invoices/{invoice_id}/credit-notes",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )


async def test_a_partial_credit_note_is_on_the_timeline_and_printed(suite: Suite) -> None:
    bolts, nuts = (
        await lifecycle.stocked_product(suite, "20"),
        await lifecycle.stocked_product(suite, "10"),
    )
    buyer = await lifecycle.customer(suite, "Credit Note Trading Ltd")
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

    partial = {"reason": "4 bolts arrived bent", "lines": [{"line_no": 1, "quantity": "4"}]}
    refused = await _credit(suite, invoice["id"], partial, "sales")
    assert refused.status_code == 403, refused.text
    response = await _credit(suite, invoice["id"], partial)
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["totals"]["gross"], note["applied_amount"]) == ("12.10", "12.10")

    async def on_timeline() -> dict[str, Any] | None:
        async with suite.client("orders") as orders:
            found = (await orders.get(f"/orders/{order_id}/timeline")).json()["items"]
        entries = [e for e in found if e["type"] == EventType.CREDIT_NOTE_ISSUED.value]
        return entries[0] if entries else None

    entry = await eventually(on_timeline, within=60)
    assert entry["summary"] == (
        f"Credit note {note['number']} for invoice {invoice['number']}: 12.10 EUR "
        "(4 bolts arrived bent); balance 24.20 EUR"
    )
    assert (await lifecycle.get_order(suite, order_id))["billing"] == "invoiced"

    async def printed() -> dict[str, Any] | None:
        found = await lifecycle.documents_of(suite, order_id)
        notes = [d for d in found if d["kind"] == "credit_note"]
        return notes[0] if notes else None

    document = await eventually(printed, within=90)
    assert document["reference"] == note["number"]
    text = await lifecycle.pdf_text(suite, document)
    for expected in (
        f"Credit note {note['number']}",
        invoice["number"],
        order["number"],
        "Reason: 4 bolts arrived bent",
        "Credit Note Trading Ltd",
        "12.10",
        f"12.10 EUR is deducted from what invoice {invoice['number']} still owes.",
    ):
        assert expected in text, expected

    # Crediting the rest makes the invoice, and so the order, credited.
    rest = await _credit(suite, invoice["id"], {"reason": "order withdrawn", "amount": "24.20"})
    assert rest.status_code == 201, rest.text
    more = await _credit(suite, invoice["id"], {"reason": "again", "amount": "0.01"})
    assert more.status_code == 409, more.text
    await lifecycle.order_reaches(suite, order_id, billing="credited")
