"""Draft invoices against a real Kafka broker and a real PostgreSQL server: created from an
order, changed while drafts, issued (numbered then) or discarded; every refusal changes
nothing."""

from __future__ import annotations

import re
import uuid
from typing import Any

from billing_builders import confirmed
from billing_harness import Billing
from sqlalchemy import func, select

from billing.adapters.tables import invoices
from contracts import EventType
from servicekit.testing import eventually


async def _manual_order(billing: Billing, make_order: Any, **kw: Any) -> Any:
    order = make_order(**kw)  # BOLT-M8 10, NUT-M8 4, INSTALL 1: 133.10
    await billing.client.put(
        f"/orders/{order.order_id}/invoicing-policy", json={"policy": "manual"}
    )
    event = confirmed(order)
    await billing.publish(event, order.order_id)
    await eventually(lambda: billing.processed(event.id))
    return order


def _lines(*pairs: tuple[int, str]) -> dict[str, Any]:
    return {"lines": [{"line_no": no, "quantity": quantity} for no, quantity in pairs]}


async def _invoice_count(billing: Billing, order_id: str) -> int:
    query = select(func.count()).select_from(invoices).where(invoices.c.order_id == order_id)
    return await billing.count(query)


async def test_a_draft_is_changed_then_issued_with_its_number_once(
    billing: Billing, make_order: Any
) -> None:
    order = await _manual_order(billing, make_order)
    created = await billing.client.post(f"/orders/{order.order_id}/invoices", json=_lines((1, "4")))
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["status"], draft["totals"]["gross"]) == ("draft", "12.10")
    assert await _invoice_count(billing, order.order_id) == 0  # a draft is no invoice

    path = f"/invoice-drafts/{draft['id']}"
    read = await billing.client.get(path)
    etag = read.headers["ETag"]
    changed = await billing.client.patch(
        path, json=_lines((1, "10"), (3, "1")), headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert [(x["sku"], x["quantity"]) for x in changed.json()["lines"]] == [
        ("BOLT-M8", "10"),
        ("INSTALL", "1"),
    ]
    assert changed.json()["totals"]["gross"] == "127.05"
    stale = await billing.client.patch(path, json=_lines((1, "1")), headers={"If-Match": etag})
    assert stale.status_code == 412
    beyond = await billing.client.patch(path, json=_lines((2, "5")))  # 4 ordered
    assert beyond.status_code == 409, beyond.text
    assert "only 4 is not invoiced" in beyond.json()["detail"]
    unknown = await billing.client.patch(path, json=_lines((1, "1"), (7, "1")))
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.lines.1.line_no"]
    assert (await billing.client.get(path)).json()["totals"]["gross"] == "127.05"  # unchanged

    key = {"Idempotency-Key": str(uuid.uuid4())}
    issued = await billing.client.post(f"{path}/issue", headers=key)
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert invoice["id"] == draft["id"]
    assert re.fullmatch(r"INV-\d{4}-\d{6}", invoice["number"])
    assert invoice["totals"]["gross"] == "127.05"
    retry = await billing.client.post(f"{path}/issue", headers=key)  # the same answer
    assert (retry.status_code, retry.json()["number"]) == (201, invoice["number"])

    twice = await billing.client.post(f"{path}/issue")
    assert twice.status_code == 409, twice.text
    edited = await billing.client.patch(path, json=_lines((2, "1")))
    assert edited.status_code == 409
    discarded = await billing.client.post(f"{path}/discard", json={})
    assert discarded.status_code == 409
    assert await _invoice_count(billing, order.order_id) == 1
    after = (await billing.client.get(path)).json()
    assert (after["status"], after["invoice_id"]) == ("issued", invoice["id"])

    progress = (await billing.client.get(f"/orders/{order.order_id}/invoicing")).json()
    assert (progress["state"], progress["invoiced_total"]) == ("partially_invoiced", "127.05")
    drafted = [e for _, e in await billing.published(EventType.INVOICE_DRAFTED)]
    updated = [e for _, e in await billing.published(EventType.INVOICE_DRAFT_UPDATED)]
    issued_events = [e for _, e in await billing.published(EventType.INVOICE_ISSUED)]
    assert [e["data"]["draft_id"] for e in drafted] == [draft["id"]]
    assert [e["data"]["totals"]["gross"] for e in updated] == ["127.05"]
    assert [e["data"]["invoice_id"] for e in issued_events] == [draft["id"]]
    assert {e["subject"] for e in drafted + updated + issued_events} == {order.order_id}


async def test_a_discarded_draft_invoices_nothing_and_stays_discarded(
    billing: Billing, make_order: Any
) -> None:
    order = await _manual_order(billing, make_order)
    draft = (
        await billing.client.post(f"/orders/{order.order_id}/invoices", json=_lines((3, "1")))
    ).json()
    path = f"/invoice-drafts/{draft['id']}"
    gone = await billing.client.post(f"{path}/discard", json={"reason": "agreed otherwise"})
    assert gone.status_code == 200, gone.text
    assert (gone.json()["status"], gone.json()["reason"]) == ("discarded", "agreed otherwise")
    for refused in (
        await billing.client.post(f"{path}/issue"),
        await billing.client.patch(path, json=_lines((3, "1"))),
        await billing.client.post(f"{path}/discard"),
    ):
        assert refused.status_code == 409, refused.text
    assert await _invoice_count(billing, order.order_id) == 0
    listed = await billing.client.get(
        "/invoice-drafts", params={"order_id": order.order_id, "status": "discarded"}
    )
    assert [d["id"] for d in listed.json()["items"]] == [draft["id"]]
    [event] = [e for _, e in await billing.published(EventType.INVOICE_DRAFT_DISCARDED)]
    assert event["data"]["reason"] == "agreed otherwise"
    assert (await billing.client.get("/invoice-drafts/nothing")).status_code == 404


async def test_a_draft_overtaken_by_another_invoice_is_refused_on_issue(
    billing: Billing, make_order: Any
) -> None:
    order = await _manual_order(billing, make_order)
    path = f"/orders/{order.order_id}/invoices"
    first = (await billing.client.post(path, json=_lines((3, "1")))).json()
    second = (await billing.client.post(path, json=_lines((3, "1")))).json()  # reserves nothing
    ok = await billing.client.post(f"/invoice-drafts/{first['id']}/issue")
    assert ok.status_code == 201, ok.text
    late = await billing.client.post(f"/invoice-drafts/{second['id']}/issue")
    assert late.status_code == 409, late.text
    assert "only 0 is not invoiced" in late.json()["detail"]
    still = (await billing.client.get(f"/invoice-drafts/{second['id']}")).json()
    assert still["status"] == "draft"  # nothing changed
    assert await _invoice_count(billing, order.order_id) == 1
