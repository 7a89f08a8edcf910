"""Quotes, copies, opportunities, addresses, stages and approval, lists and saved filters —
through the HTTP API of a running service on real Kafka and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from contracts import EventType
from servicekit import dlq
from servicekit.testing import bearer, eventually

PROBLEM_JSON = "application/problem+json"

# What an order takes over from a quote, and what a copy keeps (besides the lines).
CONTENT = (
    "currency",
    "customer_reference",
    "description",
    "opening_text",
    "closing_text",
    "payment_terms",
    "payment_terms_agreed",
    "billing_address",
    "shipping_address",
    "template_id",
    "recurring",
    "totals",
)

MADRID = {"line1": "Calle Mayor 1", "postal_code": "28013", "city": "Madrid", "country": "ES"}
DEPOT = {"line1": "Polígono Sur 7", "postal_code": "28500", "city": "Arganda", "country": "ES"}


def tag() -> str:
    return uuid.uuid4().hex[:8]


def lines(*prices: str) -> list[dict[str, Any]]:
    return [
        {
            "sku": f"SKU-{i}",
            "kind": "service",
            "description": f"Item {i}",
            "quantity": "2",
            "unit_price": price,
            "discount_percent": "10",
            "tax_rate": "21",
        }
        for i, price in enumerate(prices or ("50.00",))
    ]


def full_content(customer_id: str | None, marker: str) -> dict[str, Any]:
    """Every content field an order and a quote share, filled in."""
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "contact": "Ana Ruiz",
        "customer_reference": f"PO-{marker}",
        "description": f"Yearly maintenance {marker}",
        "opening_text": "Thank you for your enquiry.",
        "closing_text": "Kind regards",
        "payment_terms": {"days": 14, "text": "Net 14 days"},
        "shipping_address": DEPOT,
        "opportunity": {"id": f"OPP-{marker}", "name": "Maintenance deal"},
        "template_id": "tpl-modern",
        "recurring": {"frequency": "yearly", "start": "2027-01-01", "end": "2029-01-01"},
        "lines": lines("100.00", "35.50"),
    }


async def new_customer(service: Any, name: str = "Talleres Ruiz") -> dict[str, Any]:
    customer: dict[str, Any] = await service.new_customer(name, billing_address=MADRID)
    return customer


async def new_order(service: Any, body: dict[str, Any]) -> dict[str, Any]:
    order: dict[str, Any] = await service.created("/orders", body)
    return order


def without_shipped(order_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An order's lines as a quote's: without what only orders have (shipped, cancelled,
    returned)."""
    only_orders = ("shipped_quantity", "cancelled_quantity", "returned_quantity")
    return [{k: v for k, v in line.items() if k not in only_orders} for line in order_lines]


async def test_a_quote_is_sent_accepted_and_converted_into_an_order_with_all_its_content(
    orders_service: Any,
) -> None:
    client, marker = orders_service.client, tag()
    customer = await new_customer(orders_service)
    body = full_content(customer["id"], marker) | {"valid_until": "2099-12-31"}
    assert (await client.post("/quotes", json=body, headers=bearer("viewer"))).status_code == 403
    created = await client.post("/quotes", json=body)
    assert created.status_code == 201, created.text
    quote = created.json()
    assert re.fullmatch(r"QT-\d{4}-\d{6}", quote["number"])
    assert (quote["status"], quote["valid_until"], quote["orders"]) == ("draft", "2099-12-31", [])
    assert quote["billing_address"] == customer["billing_address"]  # the customer's default

    premature = await client.post(f"/quotes/{quote['id']}/convert")
    assert premature.status_code == 409
    assert premature.json()["current_status"] == "draft"
    patched = await client.patch(f"/quotes/{quote['id']}", json={"closing_text": "Best regards"})
    assert patched.status_code == 200, patched.text
    quote = patched.json()

    sent = await client.post(f"/quotes/{quote['id']}/send")
    assert (sent.status_code, sent.json()["status"]) == (200, "sent"), sent.text
    assert (await client.patch(f"/quotes/{quote['id']}", json={"contact": "X"})).status_code == 409
    assert (await client.post(f"/quotes/{quote['id']}/send")).status_code == 409
    accepted = await client.post(f"/quotes/{quote['id']}/accept")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    assert (await client.post(f"/quotes/{quote['id']}/reject", json={})).status_code == 409

    converted = await client.post(f"/quotes/{quote['id']}/convert")
    assert converted.status_code == 201, converted.text
    order = converted.json()
    assert re.fullmatch(r"SO-\d{4}-\d{6}", order["number"])
    assert (order["status"], order["quote_id"]) == ("draft", quote["id"])
    for field in (*CONTENT, "customer", "contact", "opportunity"):
        assert order[field] == quote[field], field
    assert without_shipped(order["lines"]) == quote["lines"]
    assert order["recurring"] == {"frequency": "yearly", "start": "2027-01-01", "end": "2029-01-01"}

    again = (await client.get(f"/quotes/{quote['id']}")).json()
    assert again["orders"] == [{"id": order["id"], "number": order["number"]}]
    editable = await client.patch(f"/orders/{order['id']}", json={"contact": "Luis"})
    assert (editable.status_code, editable.json()["contact"]) == (200, "Luis")
    listed = await client.get("/quotes", params={"customer_id": customer["id"]})
    assert [q["id"] for q in listed.json()["items"]] == [quote["id"]]

    timeline = (await client.get(f"/quotes/{quote['id']}/timeline")).json()["items"]
    assert [e["type"] for e in timeline] == [
        "orders.quote.created",
        EventType.QUOTE_SENT,
        EventType.QUOTE_ACCEPTED,
        EventType.QUOTE_CONVERTED,
    ]
    assert {e["actor"] for e in timeline} == {"test-admin"}

    async def sent_event() -> list[Any]:
        records = await dlq.read_topic(
            orders_service.kafka, orders_service.kafka.topic("orders.events")
        )
        found = [r for r in records if r.key == quote["id"].encode()]
        return found if len(found) == 3 else []

    published = [json.loads(r.value) for r in await eventually(sent_event, within=20)]
    assert [e["type"] for e in published] == [
        EventType.QUOTE_SENT,
        EventType.QUOTE_ACCEPTED,
        EventType.QUOTE_CONVERTED,
    ]
    event = published[0]
    assert (event["type"], event["subject"]) == (EventType.QUOTE_SENT, quote["id"])
    content = event["data"]["content"]
    assert (event["data"]["number"], content["number"]) == (quote["number"], quote["number"])
    assert content["opportunity"] == {"id": f"OPP-{marker}", "name": "Maintenance deal"}
    assert (content["template_id"], content["closing_text"]) == ("tpl-modern", "Best regards")


async def test_a_copy_blanks_customer_contact_and_opportunity_and_needs_a_customer_to_confirm(
    orders_service: Any,
) -> None:
    client, marker = orders_service.client, tag()
    customer = await new_customer(orders_service)
    original = await new_order(
        orders_service, full_content(customer["id"], marker) | {"contract_number": "C-1"}
    )
    copied = await client.post(f"/orders/{original['id']}/copy")
    assert copied.status_code == 201, copied.text
    copy = copied.json()
    assert copy["id"] != original["id"]
    assert copy["number"] != original["number"]
    assert (copy["customer"], copy["contact"], copy["opportunity"]) == (None, None, None)
    for field in (*CONTENT, "contract_number"):
        assert copy[field] == original[field], field
    assert without_shipped(copy["lines"]) == without_shipped(original["lines"])
    assert copy["status"] == "draft"

    refused = await client.post(f"/orders/{copy['id']}/confirm")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in refused.json()["errors"]] == ["customer_id"]
    assert (await client.get(f"/orders/{copy['id']}")).json()["status"] == "draft"

    other = await new_customer(orders_service, name="Otra Empresa")
    filled = await client.patch(f"/orders/{copy['id']}", json={"customer_id": other["id"]})
    assert filled.status_code == 200, filled.text
    assert filled.json()["customer"]["id"] == other["id"]
    confirmed = await client.post(f"/orders/{copy['id']}/confirm")
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "open")
    types = [
        e["type"] for e in (await client.get(f"/orders/{copy['id']}/timeline")).json()["items"]
    ]
    assert types == ["orders.order.copied", EventType.ORDER_CREATED, EventType.ORDER_CONFIRMED]
    # The create contract is unchanged: without a customer (or an opportunity's), 422.
    no_customer = await client.post("/orders", json={"currency": "EUR", "lines": lines()})
    assert no_customer.status_code == 422
    assert no_customer.json()["errors"][0]["field"] == "body.customer_id"


async def test_an_opportunitys_customer_prefills_its_orders_which_it_lists(
    orders_service: Any,
) -> None:
    client, marker = orders_service.client, tag()
    customer = await new_customer(orders_service)
    opportunity = {"id": f"OPP-{marker}", "name": "Fleet renewal"}
    first = await new_order(
        orders_service,
        {
            "customer_id": customer["id"],
            "currency": "EUR",
            "opportunity": opportunity,
            "lines": lines(),
        },
    )
    second = await new_order(
        orders_service, {"currency": "EUR", "opportunity": opportunity, "lines": lines("9.99")}
    )
    assert second["customer"]["id"] == customer["id"]
    assert second["opportunity"] == opportunity
    assert second["billing_address"] == customer["billing_address"]
    unknown = await client.post(
        "/orders",
        json={
            "currency": "EUR",
            "opportunity": {"id": f"NEW-{marker}", "name": "?"},
            "lines": lines(),
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.customer_id"

    found = await client.get(f"/opportunities/OPP-{marker}/orders")
    assert [o["id"] for o in found.json()["items"]] == [second["id"], first["id"]]
    known = (await client.get(f"/opportunities/OPP-{marker}")).json()
    assert known == {"id": f"OPP-{marker}", "name": "Fleet renewal", "customer_id": customer["id"]}
    assert (await client.get(f"/opportunities/NONE-{marker}/orders")).status_code == 404
    # A copy's customer comes from the opportunity it is given.
    copy = (await client.post(f"/orders/{first['id']}/copy")).json()
    patched = await client.patch(f"/orders/{copy['id']}", json={"opportunity": opportunity})
    assert patched.json()["customer"]["id"] == customer["id"]


async def test_an_order_keeps_its_copy_of_an_address_the_customer_changes_later(
    orders_service: Any,
) -> None:
    client = orders_service.client
    customer = await new_customer(orders_service)
    base = f"/customers/{customer['id']}/addresses"
    [billing] = (await client.get(base)).json()["items"]
    assert (billing["kind"], billing["is_default"], billing["line1"]) == (
        "billing",
        True,
        MADRID["line1"],
    )
    added = await client.post(base, json={"kind": "shipping", "label": "Depot", **DEPOT})
    assert added.status_code == 201, added.text
    depot = added.json()
    assert depot["is_default"] is True  # the first shipping address
    second = await client.post(
        base, json={"kind": "shipping", "label": "Port", **MADRID, "line1": "Muelle 3"}
    )
    assert second.json()["is_default"] is False

    order = await new_order(
        orders_service,
        {
            "customer_id": customer["id"],
            "currency": "EUR",
            "shipping_address_id": second.json()["id"],
            "lines": lines(),
        },
    )
    assert order["shipping_address"]["line1"] == "Muelle 3"
    assert order["billing_address"] == customer["billing_address"]
    wrong_kind = await client.post(
        "/orders",
        json={
            "customer_id": customer["id"],
            "currency": "EUR",
            "billing_address_id": depot["id"],
            "lines": lines(),
        },
    )
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["errors"][0]["field"] == "body.billing_address_id"

    changed = await client.patch(
        f"{base}/{second.json()['id']}", json={"line1": "Muelle 9", "is_default": True}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["line1"], changed.json()["is_default"]) == ("Muelle 9", True)
    after = (await client.get(f"/customers/{customer['id']}")).json()
    assert after["shipping_address"]["line1"] == "Muelle 9"  # the customer's default follows
    assert (await client.get(f"/orders/{order['id']}")).json()["shipping_address"] == order[
        "shipping_address"
    ]
    assert (await client.delete(f"{base}/{second.json()['id']}")).status_code == 204
    assert (await client.get(f"/orders/{order['id']}")).json()["shipping_address"]["line1"] == (
        "Muelle 3"
    )
    remaining = (await client.get(base)).json()["items"]
    assert [(a["label"], a["is_default"]) for a in remaining if a["kind"] == "shipping"] == [
        ("Depot", True)
    ]
    assert (await client.delete(f"{base}/{uuid.uuid4()}")).status_code == 404


STAGES = [
    {"key": "qualification", "name": "Qualification", "position": 10, "allowed_roles": ["sales"]},
    {
        "key": "approval",
        "name": "Approval",
        "position": 20,
        "is_approval": True,
        "allowed_roles": ["accounting"],
    },
    {
        "key": "execution",
        "name": "Execution",
        "position": 30,
        "required_fields": ["contract_number", "payment_terms", "customer_reference"],
        "allowed_roles": ["sales"],
    },
]


async def test_stages_need_their_fields_and_roles_and_a_refused_approval_cancels(
    orders_service: Any,
) -> None:
    client = orders_service.client
    alice, carol = bearer("sales", subject="alice"), bearer("accounting", subject="carol")
    assert (await client.put("/stages", json={"stages": STAGES}, headers=alice)).status_code == 403
    twice = await client.put("/stages", json={"stages": [STAGES[0], STAGES[0]]})
    assert twice.status_code == 422
    put = await client.put("/stages", json={"stages": STAGES})
    assert put.status_code == 200, put.text
    assert [s["key"] for s in (await client.get("/stages")).json()["stages"]] == [
        "qualification",
        "approval",
        "execution",
    ]

    customer = await new_customer(orders_service)
    order = await new_order(
        orders_service, {"customer_id": customer["id"], "currency": "EUR", "lines": lines()}
    )
    path = f"/orders/{order['id']}"
    draft_move = await client.post(f"{path}/stage", json={"stage": "qualification"}, headers=alice)
    assert draft_move.status_code == 409
    await client.post(f"{path}/confirm")
    unknown = await client.post(f"{path}/stage", json={"stage": "nowhere"}, headers=alice)
    assert unknown.status_code == 409
    wrong_role = bearer("warehouse", subject="walt")
    refused = await client.post(
        f"{path}/stage", json={"stage": "qualification"}, headers=wrong_role
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM_JSON
    moved = await client.post(
        f"{path}/stage",
        json={"stage": "qualification", "reason": "budget confirmed"},
        headers=alice,
    )
    assert (moved.status_code, moved.json()["stage"]) == (200, "qualification"), moved.text
    skipping = await client.post(f"{path}/stage", json={"stage": "execution"}, headers=alice)
    assert skipping.status_code == 409  # not approved yet
    assert (
        await client.post(f"{path}/approval", json={"approved": True}, headers=alice)
    ).status_code == 403
    approved = await client.post(
        f"{path}/approval", json={"approved": True, "reason": "within budget"}, headers=carol
    )
    assert (approved.status_code, approved.json()["stage"]) == (200, "approval"), approved.text
    assert approved.json()["approval"]["actor"] == "carol"

    missing = await client.post(f"{path}/stage", json={"stage": "execution"}, headers=alice)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == [
        "contract_number",
        "payment_terms",
        "customer_reference",
    ]
    assert (await client.get(path)).json()["stage"] == "approval"
    filled = await client.patch(
        f"{path}/details",
        json={
            "contract_number": "K-77",
            "payment_terms": {"days": 60},
            "customer_reference": "PO-1",
        },
        headers=alice,
    )
    assert filled.status_code == 200, filled.text
    assert filled.json()["payment_terms_agreed"] is True
    executed = await client.post(f"{path}/stage", json={"stage": "execution"}, headers=alice)
    assert (executed.status_code, executed.json()["stage"]) == (200, "execution"), executed.text
    in_stage = await client.get(
        "/orders", params={"stage": "execution", "customer_id": customer["id"]}
    )
    assert [o["id"] for o in in_stage.json()["items"]] == [order["id"]]

    timeline = (await client.get(f"{path}/timeline")).json()["items"]
    stage_changes = [
        (e["data"]["from_stage"], e["data"]["to_stage"], e["actor"])
        for e in timeline
        if e["type"] == EventType.ORDER_STAGE_CHANGED
    ]
    assert stage_changes == [
        (None, "qualification", "alice"),
        ("qualification", "approval", "carol"),
        ("approval", "execution", "alice"),
    ]

    # A refused approval cancels the order with the reason (and inventory is told).
    other = await new_order(
        orders_service, {"customer_id": customer["id"], "currency": "EUR", "lines": lines()}
    )
    await client.post(f"/orders/{other['id']}/confirm")
    no_reason = await client.post(
        f"/orders/{other['id']}/approval", json={"approved": False}, headers=carol
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    refusal = await client.post(
        f"/orders/{other['id']}/approval",
        json={"approved": False, "reason": "credit limit exceeded"},
        headers=carol,
    )
    assert refusal.status_code == 200, refusal.text
    assert refusal.json()["status"] == "cancelled"
    assert refusal.json()["cancellation_reason"] == "Approval refused: credit limit exceeded"

    async def cancelled() -> list[Any]:
        records = await dlq.read_topic(
            orders_service.kafka, orders_service.kafka.topic("orders.events")
        )
        found = [json.loads(r.value) for r in records if r.key == other["id"].encode()]
        return [e for e in found if e["type"] == EventType.ORDER_CANCELLED]

    [event] = await eventually(cancelled, within=20)
    assert event["data"]["reason"] == "Approval refused: credit limit exceeded"
    assert event["actor"] == "carol"


async def test_filters_sorting_saved_filters_and_archiving(orders_service: Any) -> None:
    client, marker = orders_service.client, tag()
    customer = await new_customer(orders_service, name=f"Lister {marker}")

    def body(price: str, description: str, reference: str | None = None) -> dict[str, Any]:
        return {
            "customer_id": customer["id"],
            "currency": "EUR",
            "description": description,
            "customer_reference": reference,
            "lines": lines(price),
        }

    small = await new_order(orders_service, body("10.00", "Spare parts"))
    large = await new_order(orders_service, body("500.00", "Boiler 100% replacement", "REF_A"))
    medium = await new_order(orders_service, body("80.00", "Boiler service", "REF-B"))
    mine = {"customer_id": customer["id"]}

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/orders", params=mine | params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert await ids(q="boiler") == [medium["id"], large["id"]]
    assert await ids(q="100%") == [large["id"]]  # % is matched literally
    assert await ids(q="REF_") == [large["id"]]  # and so is _
    assert await ids(q=small["number"]) == [small["id"]]
    assert await ids(gross_min="100", gross_max="200") == [medium["id"]]
    assert await ids(sort="gross", direction="asc") == [small["id"], medium["id"], large["id"]]
    assert await ids(sort="number", direction="desc") == [medium["id"], large["id"], small["id"]]

    paged: list[str] = []
    cursor = None
    while True:
        params = mine | {"sort": "gross", "direction": "desc", "limit": 1}
        page = (
            await client.get("/orders", params=params | ({"cursor": cursor} if cursor else {}))
        ).json()
        paged += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [large["id"], medium["id"], small["id"]]
    first = (await client.get("/orders", params=mine | {"sort": "gross", "limit": 1})).json()
    wrong_sort = await client.get(
        "/orders", params=mine | {"sort": "number", "cursor": first["next_cursor"]}
    )
    assert wrong_sort.status_code == 422
    assert wrong_sort.json()["errors"][0]["field"] == "query.cursor"

    query = {"customer_id": customer["id"], "gross_min": "50", "sort": "gross", "direction": "asc"}
    saved = await client.post("/saved-filters", json={"name": f"Big {marker}", "query": query})
    assert saved.status_code == 201, saved.text
    saved_id = saved.json()["id"]
    via_filter = (await client.get(f"/saved-filters/{saved_id}/orders")).json()
    direct = (await client.get("/orders", params=query)).json()
    assert via_filter == direct
    assert [o["id"] for o in via_filter["items"]] == [medium["id"], large["id"]]
    summary = {"view": "summary"}
    summaries = await client.get(f"/saved-filters/{saved_id}/orders", params=summary)
    assert summaries.json() == (await client.get("/orders", params=query | summary)).json()
    assert [o["id"] for o in summaries.json()["items"]] == [medium["id"], large["id"]]
    assert "lines" not in summaries.json()["items"][0]
    duplicate = await client.post("/saved-filters", json={"name": f"Big {marker}", "query": query})
    assert duplicate.status_code == 409
    bob = bearer("sales", subject=f"bob-{marker}")
    assert (await client.get(f"/saved-filters/{saved_id}/orders", headers=bob)).status_code == 404
    same_name = await client.post(
        "/saved-filters", json={"name": f"Big {marker}", "query": {}}, headers=bob
    )
    assert same_name.status_code == 201
    assert [
        f["name"] for f in (await client.get("/saved-filters", headers=bob)).json()["items"]
    ] == [f"Big {marker}"]
    bad = await client.post("/saved-filters", json={"name": "x", "query": {"colour": "red"}})
    assert bad.status_code == 422

    assert (await client.post(f"/orders/{small['id']}/archive")).status_code == 409
    await client.post(f"/orders/{small['id']}/cancel", json={"reason": "duplicate"})
    archived = await client.post(f"/orders/{small['id']}/archive")
    assert (archived.status_code, archived.json()["archived"]) == (200, True)
    assert (await client.post(f"/orders/{small['id']}/archive")).status_code == 409
    assert await ids() == [medium["id"], large["id"]]
    assert await ids(archived="true") == [small["id"]]
    of_customer = await client.get(f"/customers/{customer['id']}/orders")
    assert [o["id"] for o in of_customer.json()["items"]] == [medium["id"], large["id"]]
    assert (await client.post(f"/orders/{small['id']}/unarchive")).status_code == 200
    assert await ids() == [medium["id"], large["id"], small["id"]]
    assert (await client.delete(f"/saved-filters/{saved_id}")).status_code == 204
    assert (await client.get(f"/saved-filters/{saved_id}")).status_code == 404
