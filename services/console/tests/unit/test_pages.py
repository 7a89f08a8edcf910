"""The pages over the services' other resources: quotes, purchasing, a customer's account,
notes and files, shipments, invoicing, price lists, reports and webhooks — what is shown to
whom, and what is sent to which service."""

from __future__ import annotations

import re

import pytest

from console.service_layer.ports import ServiceError

from ..conftest import csrf_of, order_doc


def quote_doc(status: str = "draft", **extra):
    return {
        "id": "q1",
        "number": "QT-2026-000007",
        "status": status,
        "customer": {"id": "c1", "name": "Acme GmbH"},
        "quote_date": "2026-12-01",
        "valid_until": "2026-12-31",
        "currency": "EUR",
        "billing_address": None,
        "lines": order_doc()["lines"],
        "totals": {"net": "30.00", "tax": "6.00", "gross": "36.00", "taxes": []},
        "orders": [],
        "documents": [],
        "sent_at": None,
        "decided_at": None,
        "rejection_reason": None,
        **extra,
    }


@pytest.mark.parametrize(
    ("status", "roles", "steps"),
    [
        ("draft", ("sales",), ["send"]),
        ("sent", ("sales",), ["accept", "reject"]),
        ("accepted", ("admin",), ["convert"]),
        ("sent", ("viewer",), []),
        ("rejected", ("sales",), []),
    ],
)
async def test_a_quote_card_offers_the_steps_of_its_status_to_sales(
    client, fake_api, sign_in, status, roles, steps
):
    await sign_in(*roles)
    fake_api.resources["orders /quotes/q1"] = quote_doc(status)
    card = await client.get("/quotes/q1")
    assert card.status_code == 200
    assert "QT-2026-000007" in card.text
    assert "€36.00" in card.text
    for step in ("send", "accept", "reject", "convert"):
        assert (f'action="/quotes/q1/{step}"' in card.text) == (step in steps), step


async def test_sales_sends_rejects_and_converts_a_quote(client, fake_api, sign_in):
    await sign_in("sales")
    fake_api.resources["orders /quotes/q1"] = quote_doc("sent")
    token = csrf_of((await client.get("/quotes/q1")).text)
    response = await client.post("/quotes/q1/reject", data={"csrf_token": token, "reason": "Late"})
    assert response.status_code == 303
    assert response.headers["location"] == "/quotes/q1"
    assert fake_api.commands() == [("POST", "orders /quotes/q1/reject", {"reason": "Late"})]

    fake_api.results["orders /quotes/q1/convert"] = {"id": "o7", "number": "SO-7"}
    response = await client.post(
        "/quotes/q1/convert", data={"csrf_token": token, "idempotency_key": "k9"}
    )
    assert response.headers["location"] == "/orders/o7"
    assert fake_api.called("command")[-1] == ("orders", "/quotes/q1/convert", None, "POST", "k9")
    assert (await client.get("/orders")).status_code == 200


async def test_a_refused_quote_step_is_shown_on_the_card_and_an_unknown_one_is_not_sent(
    client, fake_api, sign_in
):
    await sign_in("sales")
    fake_api.resources["orders /quotes/q1"] = quote_doc("sent")
    fake_api.refuse["orders /quotes/q1/accept"] = ServiceError(409, "Conflict", "quote expired")
    token = csrf_of((await client.get("/quotes/q1")).text)
    response = await client.post("/quotes/q1/accept", data={"csrf_token": token})
    assert response.status_code == 409
    assert "quote expired" in response.text
    response = await client.post("/quotes/q1/delete", data={"csrf_token": token})
    assert response.status_code == 404
    assert [c for c in fake_api.commands() if "delete" in c[1]] == []


async def test_the_quote_pdf_is_linked_and_previewed(client, fake_api, sign_in):
    await sign_in("viewer")
    documents = [{"document_id": "d7", "reference": "QT-2026-000007", "download_path": "/x"}]
    fake_api.resources["orders /quotes/q1"] = quote_doc("sent", documents=documents)
    card = await client.get("/quotes/q1")
    assert 'href="/documents/d7/content"' in card.text
    assert 'src="/documents/d7/content"' in card.text


def purchase_order(status: str = "sent"):
    return {
        "id": "p1",
        "number": "PO-2026-000001",
        "vendor_id": "v1",
        "currency": "EUR",
        "warehouse": "MAIN",
        "status": status,
        "expected_date": "2026-12-10",
        "notes": None,
        "lines": [
            {
                "line_no": 1,
                "sku": "WIDGET",
                "quantity": "10",
                "unit_price": "2.00",
                "net": "20.00",
                "received": "4",
                "open": "6",
            },
            {
                "line_no": 2,
                "sku": "BOLT",
                "quantity": "5",
                "unit_price": "1.00",
                "net": "5.00",
                "received": "0",
                "open": "5",
            },
        ],
        "total": "25.00",
        "sent_at": "2026-12-01T10:00:00Z",
    }


def vendor():
    return {
        "id": "v1",
        "name": "Bolts & Co",
        "currency": "EUR",
        "payment_terms_days": 30,
        "email": "sales@bolts.example",
        "phone": None,
        "contact_name": None,
        "supplies": [
            {"sku": "WIDGET", "purchase_price": "2.00", "lead_time_days": 5, "vendor_sku": None}
        ],
    }


async def test_purchasing_sends_or_cancels_and_warehouse_receives(client, fake_api, sign_in):
    fake_api.resources["inventory /purchase-orders/p1"] = purchase_order("draft")
    fake_api.resources["inventory /vendors/v1"] = vendor()
    await sign_in("purchasing")
    card = await client.get("/purchase-orders/p1")
    assert "Bolts &amp; Co" in card.text
    assert 'action="/purchase-orders/p1/send"' in card.text
    assert 'action="/purchase-orders/p1/cancel"' in card.text
    assert 'name="received-WIDGET"' not in card.text  # a draft is not received
    response = await client.post(
        "/purchase-orders/p1/send", data={"csrf_token": csrf_of(card.text)}
    )
    assert response.status_code == 303
    assert fake_api.commands() == [("POST", "inventory /purchase-orders/p1/send", None)]

    fake_api.resources["inventory /purchase-orders/p1"] = purchase_order("partially_received")
    await sign_in("warehouse")
    card = await client.get("/purchase-orders/p1")
    assert 'action="/purchase-orders/p1/send"' not in card.text
    assert 'aria-label="Quantity of WIDGET received now"' in card.text
    response = await client.post(
        "/purchase-orders/p1/receipts",
        data={"csrf_token": csrf_of(card.text), "received-WIDGET": "6", "received-BOLT": ""},
    )
    assert response.status_code == 303
    assert fake_api.commands()[-1] == (
        "POST",
        "inventory /purchase-orders/p1/receipts",
        {"lines": [{"sku": "WIDGET", "quantity": "6"}]},
    )


async def test_a_refused_receipt_names_the_line_next_to_its_field(client, fake_api, sign_in):
    fake_api.resources["inventory /purchase-orders/p1"] = purchase_order()
    fake_api.resources["inventory /vendors/v1"] = vendor()
    fake_api.refuse["inventory /purchase-orders/p1/receipts"] = ServiceError(
        422,
        "Unprocessable Entity",
        errors=[{"field": "body.lines.1.quantity", "message": "Input should be greater than 0"}],
    )
    await sign_in("warehouse")
    card = await client.get("/purchase-orders/p1")
    response = await client.post(
        "/purchase-orders/p1/receipts",
        data={"csrf_token": csrf_of(card.text), "received-WIDGET": "1", "received-BOLT": "-1"},
    )
    assert response.status_code == 422
    assert 'id="err-received-BOLT"' in response.text
    assert 'value="-1"' in response.text  # what was typed stays


async def test_vendors_are_listed_created_and_shown(client, fake_api, sign_in):
    fake_api.resources["inventory /vendors"] = {"items": [vendor()], "next_cursor": None}
    fake_api.resources["inventory /vendors/v1"] = vendor()
    fake_api.results["inventory /vendors"] = {"id": "v2"}
    await sign_in("viewer")
    page = await client.get("/vendors")
    assert "Bolts &amp; Co" in page.text
    assert 'method="post" action="/vendors"' not in page.text  # only purchasing creates vendors
    await sign_in("purchasing")
    page = await client.get("/vendors")
    response = await client.post(
        "/vendors",
        data={"csrf_token": csrf_of(page.text), "name": "Nuts", "currency": "usd"},
    )
    assert response.headers["location"] == "/vendors/v2"
    assert fake_api.commands()[-1][2]["currency"] == "USD"
    card = await client.get("/vendors/v1")
    assert "WIDGET" in card.text
    assert "€2.00" in card.text


def statement():
    return {
        "customer_id": "c1",
        "from": "2026-12-01",
        "to": "2026-12-31",
        "accounts": [
            {
                "currency": "EUR",
                "opening_balance": "0.00",
                "lines": [
                    {
                        "date": "2026-12-02",
                        "kind": "invoice",
                        "id": "i1",
                        "reference": "INV-1",
                        "debit": "36.00",
                        "credit": "0",
                        "balance": "36.00",
                    },
                    {
                        "date": "2026-12-03",
                        "kind": "payment",
                        "id": "p1",
                        "reference": "stmt 7",
                        "debit": "0",
                        "credit": "30.00",
                        "balance": "6.00",
                    },
                ],
                "closing_balance": "6.00",
            }
        ],
        "open_items": [],
        "credit": [],
    }


async def test_the_statement_shows_each_account_with_its_running_balance(client, fake_api, sign_in):
    await sign_in("viewer", "accounting")
    fake_api.resources["billing /customers/c1/statement"] = statement()
    page = await client.get("/customers/c1/statement?date_from=2026-12-01")
    assert page.status_code == 200
    assert 'href="/invoices/i1"' in page.text
    assert "€6.00" in page.text
    assert fake_api.called("read")[-1][2] == {"from": "2026-12-01", "to": ""}
    page = await client.get("/customers/c1/statement", headers={"Accept-Language": "es"})
    assert "6,00\xa0€" in page.text
    assert "Extracto" in page.text


async def test_a_refused_period_is_shown_next_to_its_field(client, fake_api, sign_in):
    await sign_in("accounting")
    fake_api.refuse["GET billing /customers/c1/statement"] = ServiceError(
        422,
        "Unprocessable Entity",
        errors=[{"field": "query.from", "message": "must not be after `to`"}],
    )
    page = await client.get("/customers/c1/statement?date_from=2027-01-01&date_to=2026-01-01")
    assert page.status_code == 422
    assert 'id="err-query-from"' in page.text


async def test_accounting_applies_refunds_and_reverses_on_the_credit_page(
    client, fake_api, sign_in
):
    fake_api.resources["billing /customers/c1/credit"] = {
        "customer_id": "c1",
        "credit": [{"currency": "EUR", "amount": "14.00"}],
    }
    await sign_in("viewer")
    page = await client.get("/customers/c1/credit")
    assert "€14.00" in page.text
    assert '<form method="post"' not in page.text.split("<main")[1]
    await sign_in("accounting")
    page = await client.get("/customers/c1/credit")
    token = csrf_of(page.text)
    await client.post(
        "/customers/c1/credit/allocations", data={"csrf_token": token, "currency": "EUR"}
    )
    await client.post(
        "/customers/c1/refunds",
        data={"csrf_token": token, "currency": "eur", "amount": "4.00", "reason": "asked"},
    )
    await client.post(
        "/customers/c1/payments/p1/reversal", data={"csrf_token": token, "reason": "bounced"}
    )
    sent = fake_api.commands()
    assert sent[0] == ("POST", "billing /customers/c1/credit/allocations", {"currency": "EUR"})
    assert sent[1][1] == "billing /refunds"
    assert sent[1][2]["customer_id"] == "c1"
    assert sent[1][2]["currency"] == "EUR"
    assert sent[2] == ("POST", "billing /payments/p1/reversal", {"reason": "bounced"})


async def test_a_refund_beyond_the_credit_is_refused_in_words(client, fake_api, sign_in):
    fake_api.resources["billing /customers/c1/credit"] = {
        "credit": [{"currency": "EUR", "amount": "1"}]
    }
    fake_api.refuse["billing /refunds"] = ServiceError(409, "Conflict", "more than the credit")
    await sign_in("accounting")
    token = csrf_of((await client.get("/customers/c1/credit")).text)
    response = await client.post(
        "/customers/c1/refunds", data={"csrf_token": token, "currency": "EUR", "amount": "9"}
    )
    assert response.status_code == 409
    assert "more than the credit" in response.text
    assert 'value="9"' in response.text


async def test_shipments_show_tracking_and_the_warehouse_confirms_delivery(
    client, fake_api, sign_in
):
    order = order_doc("open", "partially_shipped")
    fake_api.orders[order["id"]] = order

    async def shipments(token, params):
        return {
            "items": [
                {
                    "id": "s1",
                    "created_at": "2026-12-01T11:00:00Z",
                    "shipping_date": "2026-12-01",
                    "carrier": "DHL",
                    "tracking_number": "JJD0001",
                    "delivered_at": None,
                    "lines": [{"sku": "WIDGET", "quantity": "1"}],
                }
            ]
        }

    fake_api.list_shipments = shipments
    await sign_in("sales")
    card = await client.get(f"/orders/{order['id']}")
    assert "JJD0001" in card.text
    assert 'action="/shipments/s1/delivered"' not in card.text
    await sign_in("warehouse")
    card = await client.get(f"/orders/{order['id']}")
    response = await client.post(
        "/shipments/s1/delivered",
        data={"csrf_token": csrf_of(card.text), "next": f"/orders/{order['id']}"},
    )
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert fake_api.commands() == [("POST", "inventory /shipments/s1/delivered", {})]


async def test_notes_and_files_on_the_order_card(client, fake_api, sign_in):
    order = order_doc("open", "reserved")
    oid = order["id"]
    fake_api.orders[oid] = order
    fake_api.resources[f"orders /orders/{oid}/notes"] = {
        "items": [
            {
                "note_id": "n1",
                "text": "Call first",
                "author": "bob",
                "created_at": "2026-12-01T09:00:00Z",
            }
        ]
    }
    await sign_in("viewer")
    card = await client.get(f"/orders/{oid}")
    assert "Call first" in card.text
    assert f'action="/orders/{oid}/notes"' not in card.text
    await sign_in("sales")
    card = await client.get(f"/orders/{oid}")
    token = csrf_of(card.text)
    response = await client.post(f"/orders/{oid}/notes", data={"csrf_token": token, "text": " Hi "})
    assert response.status_code == 303
    assert fake_api.commands() == [("POST", f"orders /orders/{oid}/notes", {"text": "Hi"})]
    response = await client.post(
        f"/orders/{oid}/files",
        data={"csrf_token": token},
        files={"file": ("drawing.pdf", b"%PDF-1.7", "application/pdf")},
    )
    assert response.status_code == 303
    ((_, path, upload, params),) = fake_api.called("upload")
    assert path == f"/orders/{oid}/files"
    assert (upload.content, upload.content_type, params) == (
        b"%PDF-1.7",
        "application/pdf",
        {"filename": "drawing.pdf"},
    )
    download = await client.get(f"/orders/{oid}/files/f1")
    assert download.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert download.content == b"file content"


async def test_a_refused_file_is_shown_on_the_card(client, fake_api, sign_in):
    order = order_doc("open", "reserved")
    fake_api.orders[order["id"]] = order
    fake_api.refuse[f"orders /orders/{order['id']}/files"] = ServiceError(
        415, "Unsupported Media Type", "files of type application/x-msdownload are not accepted"
    )
    await sign_in("sales")
    card = await client.get(f"/orders/{order['id']}")
    response = await client.post(
        f"/orders/{order['id']}/files",
        data={"csrf_token": csrf_of(card.text)},
        files={"file": ("a.exe", b"MZ", "application/x-msdownload")},
    )
    assert response.status_code == 415
    assert "are not accepted" in response.text


async def test_accounting_invoices_chosen_quantities_by_hand(client, fake_api, sign_in):
    order = order_doc("open", "reserved")
    oid = order["id"]
    fake_api.orders[oid] = order
    fake_api.resources[f"billing /orders/{oid}/invoicing"] = {
        "order_id": oid,
        "policy": "manual",
        "currency": "EUR",
        "order_total": "36.00",
        "invoiced_total": "0",
        "uninvoiced_total": "36.00",
        "lines": [
            {"line_no": 1, "sku": "WIDGET", "quantity": "3", "shipped": "1", "invoiced": "0"}
        ],
    }
    fake_api.results[f"billing /orders/{oid}/invoices"] = {"id": "i9", "status": "draft"}
    fake_api.results["billing /invoice-drafts/i9/issue"] = {"id": "i9", "number": "INV-1"}
    await sign_in("sales")
    page = await client.get(f"/orders/{oid}/invoicing")
    assert 'name="invoice-1"' not in page.text
    await sign_in("accounting")
    page = await client.get(f"/orders/{oid}/invoicing")
    token = csrf_of(page.text)
    response = await client.post(
        f"/orders/{oid}/invoicing/invoices", data={"csrf_token": token, "invoice-1": "1"}
    )
    assert response.headers["location"] == "/invoices/i9"
    await client.post(
        f"/orders/{oid}/invoicing/policy", data={"csrf_token": token, "policy": "on_delivery"}
    )
    assert fake_api.commands() == [
        ("POST", f"billing /orders/{oid}/invoices", {"lines": [{"line_no": "1", "quantity": "1"}]}),
        ("POST", "billing /invoice-drafts/i9/issue", None),
        ("PUT", f"billing /orders/{oid}/invoicing-policy", {"policy": "on_delivery"}),
    ]
    fake_api.refuse[f"billing /orders/{oid}/invoices"] = ServiceError(
        409,
        "Conflict",
        "beyond what may be invoiced",
        errors=[{"field": "body.lines.0.quantity", "message": "too much"}],
    )
    response = await client.post(
        f"/orders/{oid}/invoicing/invoices", data={"csrf_token": token, "invoice-1": "5"}
    )
    assert response.status_code == 409
    assert 'id="err-invoice-1"' in response.text


async def test_price_lists_are_listed_created_from_lines_and_removed(client, fake_api, sign_in):
    price_list = {
        "id": "pl1",
        "name": "Dealers",
        "currency": "EUR",
        "customer_id": None,
        "customer_group": "dealers",
        "valid_from": "2026-01-01",
        "valid_to": None,
        "entries": [
            {"sku": "WIDGET", "min_quantity": "10", "unit_price": "8.50", "discount_percent": None}
        ],
    }
    fake_api.resources["orders /price-lists"] = {"items": [price_list], "next_cursor": None}
    fake_api.resources["orders /price-lists/pl1"] = price_list
    fake_api.results["orders /price-lists"] = {"id": "pl2"}
    await sign_in("sales")
    page = await client.get("/price-lists")
    assert "Dealers" in page.text
    response = await client.post(
        "/price-lists",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Big",
            "currency": "eur",
            "entries": "WIDGET; 10; 8.50\nBOLT;5;;10\n\n",
        },
    )
    assert response.headers["location"] == "/price-lists/pl2"
    body = fake_api.commands()[0][2]
    assert body["entries"] == [
        {"sku": "WIDGET", "min_quantity": "10", "unit_price": "8.50", "discount_percent": None},
        {"sku": "BOLT", "min_quantity": "5", "unit_price": None, "discount_percent": "10"},
    ]
    card = await client.get("/price-lists/pl1")
    assert "€8.50" in card.text
    response = await client.post("/price-lists/pl1/delete", data={"csrf_token": csrf_of(card.text)})
    assert fake_api.commands()[-1] == ("DELETE", "orders /price-lists/pl1", None)


async def test_the_other_reports(client, fake_api, sign_in):
    fake_api.resources["orders /reports/cycle-time"] = {
        "items": [
            {"step": "confirmed_to_shipped", "orders": 3, "p50_hours": "20.5", "p90_hours": "48"}
        ]
    }
    fake_api.resources["orders /reports/fill-rate"] = {
        "ordered_quantity": "100",
        "shipped_quantity": "95",
        "fill_rate": "0.95",
        "lines": 10,
        "lines_complete": 9,
        "line_fill_rate": "0.9",
    }
    fake_api.resources["orders /reports/backorders"] = {
        "buckets": {"0-7": 1, "8-30": 0, "31+": 0},
        "items": [
            {
                "order_id": "o1",
                "number": "SO-1",
                "currency": "EUR",
                "gross": "10.00",
                "since": "2026-11-30T10:00:00Z",
                "age_days": 1,
                "owner": None,
            }
        ],
    }
    await sign_in("viewer")
    page = await client.get("/reports/cycle-time?date_from=2026-11-01")
    assert "Confirmed → shipped" in page.text
    assert "20.5" in page.text
    assert fake_api.called("read")[-1][2] == {
        "date_from": "2026-11-01",
        "date_to": "",
        "currency": "",
    }
    page = await client.get("/reports/fill-rate", headers={"Accept-Language": "ru"})
    assert "95\xa0%" in page.text
    page = await client.get("/reports/backorders")
    assert 'href="/orders/o1"' in page.text


async def test_webhooks_for_administrators_with_the_secret_shown_once(client, fake_api, sign_in):
    hook = {
        "id": "w1",
        "url": "https://erp.example/hooks",
        "event_types": ["suite.order.confirmed.v1"],
        "active": True,
        "description": None,
        "consecutive_failures": 0,
        "disabled_reason": None,
        "created_by": "admin",
        "created_at": "2026-12-01T10:00:00Z",
    }
    fake_api.resources["orders /webhooks"] = {"items": [hook], "next_cursor": None}
    fake_api.resources["orders /webhooks/event-types"] = {
        "event_types": ["suite.order.confirmed.v1"]
    }
    fake_api.resources["orders /webhooks/w1"] = hook
    fake_api.resources["orders /webhooks/w1/deliveries"] = {
        "items": [
            {
                "id": "d1",
                "event_type": "suite.order.confirmed.v1",
                "order_id": None,
                "status": "failed",
                "attempts": 5,
                "last_status_code": 500,
                "last_error": None,
                "created_at": "2026-12-01T10:00:00Z",
            }
        ]
    }
    fake_api.results["orders /webhooks"] = {"id": "w1", "secret": "whsec_c2VjcmV0"}
    await sign_in("sales")
    page = await client.get("/webhooks")
    assert 'action="/webhooks"' not in page.text
    await sign_in("admin")
    page = await client.get("/webhooks")
    token = csrf_of(page.text)
    response = await client.post(
        "/webhooks",
        data={
            "csrf_token": token,
            "url": "https://erp.example/hooks",
            "event_types": ["suite.order.confirmed.v1"],
        },
    )
    assert response.status_code == 201
    assert "whsec_c2VjcmV0" in response.text
    assert "whsec_c2VjcmV0" not in response.headers.get("set-cookie", "")
    assert fake_api.commands()[0][2]["event_types"] == ["suite.order.confirmed.v1"]
    await client.post("/webhooks/w1/deliveries/d1/redeliver", data={"csrf_token": token})
    await client.post("/webhooks/w1/active", data={"csrf_token": token, "active": "false"})
    assert fake_api.commands()[1:] == [
        ("POST", "orders /webhooks/w1/deliveries/d1/redeliver", None),
        ("PATCH", "orders /webhooks/w1", {"active": False}),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/quotes/q1",
        "/purchase-orders/p1",
        "/vendors",
        "/vendors/v1",
        "/customers/c1/statement",
        "/customers/c1/credit",
        "/price-lists",
        "/reports/cycle-time",
        "/reports/fill-rate",
        "/reports/backorders",
        "/webhooks",
        "/operations",
        "/credit-notes",
        "/warehouses",
        "/stock/low",
        "/customers/c1",
        "/products/WIDGET",
    ],
)
async def test_each_new_page_is_labelled_and_in_the_chosen_language(client, fake_api, sign_in, url):
    for service in ("orders", "inventory", "billing", "documents"):
        admin_state(fake_api, service, parked=True)
    fake_api.resources.update(
        {
            "orders /quotes/q1": quote_doc("sent"),
            "inventory /purchase-orders/p1": purchase_order(),
            "inventory /vendors/v1": vendor(),
            "billing /customers/c1/statement": statement(),
            "billing /customers/c1/credit": {"credit": [{"currency": "EUR", "amount": "1"}]},
            "orders /webhooks/event-types": {"event_types": []},
            "orders /reports/cycle-time": {"items": []},
            "orders /reports/fill-rate": {},
            "orders /reports/backorders": {"items": [], "buckets": {}},
        }
    )
    await sign_in("admin")
    page = await client.get(url, headers={"Accept-Language": "ru"})
    assert page.status_code == 200, page.text
    assert '<html lang="ru">' in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", page.text), url
    for field in re.findall(r'<input (?![^>]*type="(?:hidden|submit)")[^>]*>', page.text):
        named = re.search(r'id="([^"]+)"', field)
        labelled = "aria-label=" in field or (named and f'for="{named[1]}"' in page.text)
        assert labelled, field


def admin_state(fake_api, service: str, *, parked: bool = False) -> None:
    row = {
        "id": 7,
        "key": "o1",
        "event_type": "suite.order.confirmed.v1",
        "topic": "orders.events",
        "failed_at": "2026-12-01T10:00:00Z",
        "error": "RecordTooLargeError",
    }
    fake_api.resources[f"{service} /admin/outbox"] = {
        "service": service,
        "unpublished": 3,
        "oldest_age_seconds": 1.5,
        "parked": [row] if parked else [],
    }
    fake_api.resources[f"{service} /admin/consumer-lag"] = {
        "service": service,
        "group": service,
        "total": 4,
        "partitions": [{"topic": "orders.events", "partition": 0, "committed": 10, "lag": 4}],
    }
    fake_api.resources[f"{service} /admin/dead-letters"] = {
        "service": service,
        "topics": [
            {"topic": "orders.events", "dead_letter_topic": "orders.events.dlq", "messages": 2}
        ],
    }


async def test_operations_show_each_service_and_one_that_does_not_answer(client, fake_api, sign_in):
    for service in ("orders", "inventory", "billing"):
        admin_state(fake_api, service, parked=service == "orders")
    fake_api.refuse["GET documents /admin/outbox"] = ServiceError(
        503, "Service unavailable", "the documents service did not answer"
    )
    await sign_in("sales", "warehouse", "accounting")
    assert (await client.get("/operations")).status_code == 403
    assert not [c for c in fake_api.calls if c[0] == "read"]
    await sign_in("admin")
    page = await client.get("/operations")
    assert page.status_code == 200
    assert 'data-testid="lag-orders">4<' in page.text
    assert 'href="/operations/billing/dead-letters/orders.events"' in page.text
    assert "the documents service did not answer" in page.text
    response = await client.post(
        "/operations/orders/outbox/retry", data={"csrf_token": csrf_of(page.text), "row": "7"}
    )
    assert response.headers["location"] == "/operations"
    await client.post("/operations/orders/outbox/retry", data={"csrf_token": csrf_of(page.text)})
    assert fake_api.commands() == [
        ("POST", "orders /admin/outbox/retry", {"ids": [7]}),
        ("POST", "orders /admin/outbox/retry", {}),
    ]
    followed = await client.get("/operations")
    assert "Parked rows of orders put back in the queue." in followed.text


async def test_dead_letters_are_listed_and_one_is_replayed(client, fake_api, sign_in):
    letter = {
        "partition": 2,
        "offset": 5,
        "original": {"topic": "orders.inbound", "partition": "2", "offset": "40"},
        "consumer": "orders",
        "error_type": "ValidationError",
        "error": "lines.0.sku: unknown SKU",
        "attempts": "1",
        "failed_at": "2026-12-01T10:00:00+00:00",
        "key": "shop-1",
        "value": '{"data": {}}',
        "headers": {},
        "copy_of": None,
    }
    fake_api.resources["orders /admin/dead-letters/orders.inbound"] = {
        "topic": "orders.inbound",
        "dead_letter_topic": "orders.inbound.dlq",
        "complete": True,
        "available": 2,
        "messages": [letter, {**letter, "offset": 6, "copy_of": {"partition": 2, "offset": 5}}],
    }
    await sign_in("admin")
    page = await client.get("/operations/orders/dead-letters/orders.inbound")
    assert page.text.count("unknown SKU") == 2
    # The second letter is the same message dead-lettered again: said so, once.
    assert page.text.count('data-testid="copy-of"') == 1
    assert "A copy of 2/5, the same message: replaying one of them is enough." in page.text
    response = await client.post(
        "/operations/orders/dead-letters/orders.inbound/replay",
        data={"csrf_token": csrf_of(page.text), "partition": "2", "offset": "5"},
    )
    assert response.status_code == 303
    assert fake_api.commands() == [
        ("POST", "orders /admin/dead-letters/orders.inbound/replay", {"partition": 2, "offset": 5})
    ]
    fake_api.refuse["orders /admin/dead-letters/orders.inbound/replay"] = ServiceError(
        404, "Not found", "no message at orders.inbound.dlq partition 2 offset 5"
    )
    response = await client.post(
        "/operations/orders/dead-letters/orders.inbound/replay",
        data={"csrf_token": csrf_of(page.text), "partition": "2", "offset": "5"},
    )
    assert response.status_code == 404
    assert "no message at" in response.text
    assert (await client.get("/operations/nowhere/dead-letters/x")).status_code == 404


async def test_drafts_made_elsewhere_are_issued_or_discarded_by_accounting(
    client, fake_api, sign_in
):
    order = order_doc("open", "reserved")
    oid = order["id"]
    fake_api.orders[oid] = order
    fake_api.resources[f"billing /orders/{oid}/invoicing"] = {
        "order_id": oid,
        "policy": "manual",
        "currency": "EUR",
        "lines": [],
    }
    draft = {
        "id": "d1",
        "status": "draft",
        "currency": "EUR",
        "created_at": "2026-12-01T10:00:00Z",
        "totals": {"gross": "12.00"},
        "lines": [{"sku": "WIDGET", "quantity": "1"}],
    }
    gone = {**draft, "id": "d0", "status": "discarded"}
    fake_api.resources["billing /invoice-drafts"] = {"items": [draft, gone], "next_cursor": None}
    fake_api.results["billing /invoice-drafts/d1/issue"] = {"id": "d1", "number": "INV-7"}
    await sign_in("viewer")
    page = await client.get(f"/orders/{oid}/invoicing")
    assert "€12.00" in page.text
    assert "/drafts/d1/issue" not in page.text
    await sign_in("accounting")
    page = await client.get(f"/orders/{oid}/invoicing")
    assert "/drafts/d0/" not in page.text  # only open drafts
    token = csrf_of(page.text)
    issued = await client.post(
        f"/orders/{oid}/invoicing/drafts/d1/issue", data={"csrf_token": token}
    )
    assert issued.headers["location"] == "/invoices/d1"
    discarded = await client.post(
        f"/orders/{oid}/invoicing/drafts/d1/discard", data={"csrf_token": token}
    )
    assert discarded.headers["location"] == f"/orders/{oid}/invoicing"
    assert [c[:2] for c in fake_api.commands()] == [
        ("POST", "billing /invoice-drafts/d1/issue"),
        ("POST", "billing /invoice-drafts/d1/discard"),
    ]


def invoice_doc():
    return {
        "id": "i1",
        "number": "INV-1",
        "order_id": "o1",
        "order_number": "SO-1",
        "status": "issued",
        "customer": {"id": "c1", "name": "Acme", "email": "a@b.c"},
        "billing_address": None,
        "currency": "EUR",
        "issue_date": "2026-12-01",
        "due_date": "2026-12-15",
        "lines": [
            {
                "line_no": 1,
                "sku": "WIDGET",
                "description": "Widget",
                "quantity": "3",
                "unit_price": "10.00",
                "net_amount": "30.00",
            }
        ],
        "paid_total": "0.00",
        "balance": "36.00",
        "payments": [],
        "totals": {"gross": "36.00"},
    }


def credit_note_doc():
    return {
        "id": "n1",
        "number": "CN-2026-000001",
        "invoice_id": "i1",
        "invoice_number": "INV-1",
        "order_id": "o1",
        "order_number": "SO-1",
        "customer": {"id": "c1", "name": "Acme"},
        "billing_address": None,
        "currency": "EUR",
        "issue_date": "2026-12-02",
        "reason": "Damaged",
        "lines": [],
        "totals": {"gross": "12.00"},
        "applied_amount": "12.00",
        "customer_credit": "0.00",
        "return_number": None,
    }


async def test_accounting_credits_an_invoice_by_line_or_by_amount(client, fake_api, sign_in):
    fake_api.invoices["i1"] = invoice_doc()
    fake_api.resources["billing /credit-notes"] = {"items": [credit_note_doc()]}
    fake_api.results["billing /invoices/i1/credit-notes"] = {"id": "n2"}
    await sign_in("sales")
    card = await client.get("/invoices/i1")
    assert 'href="/credit-notes/n1"' in card.text
    assert 'data-testid="credit-form"' not in card.text
    await sign_in("accounting")
    card = await client.get("/invoices/i1")
    token = csrf_of(card.text)
    response = await client.post(
        "/invoices/i1/credit-notes",
        data={"csrf_token": token, "reason": "Damaged", "credit-1": "1", "amount": "5"},
    )
    assert response.headers["location"] == "/credit-notes/n2"
    await client.post(
        "/invoices/i1/credit-notes",
        data={"csrf_token": token, "reason": "Goodwill", "credit-1": "", "amount": "5.00"},
    )
    assert [c[2] for c in fake_api.commands()] == [
        {"reason": "Damaged", "lines": [{"line_no": "1", "quantity": "1"}]},
        {"reason": "Goodwill", "amount": "5.00", "tax_rate": None},
    ]
    fake_api.refuse["billing /invoices/i1/credit-notes"] = ServiceError(
        409,
        "Conflict",
        "more than the line has left to credit",
        errors=[{"field": "body.lines.0.quantity", "message": "at most 2"}],
    )
    response = await client.post(
        "/invoices/i1/credit-notes",
        data={"csrf_token": token, "reason": "Again", "credit-1": "3"},
    )
    assert response.status_code == 409
    assert 'id="err-credit-1"' in response.text
    assert 'value="Again"' in response.text


async def test_credit_notes_are_listed_and_shown_with_their_pdf(client, fake_api, sign_in):
    fake_api.resources["billing /credit-notes"] = {"items": [credit_note_doc()]}
    fake_api.resources["billing /credit-notes/n1"] = credit_note_doc()
    fake_api.documents["d9"] = {
        "id": "d9",
        "reference": "CN-2026-000001",
        "filename": "CN-2026-000001.pdf",
    }
    await sign_in("viewer")
    page = await client.get("/credit-notes", headers={"Accept-Language": "es"})
    assert "Notas de crédito" in page.text
    assert "12,00\xa0€" in page.text
    card = await client.get("/credit-notes/n1")
    assert 'href="/documents/d9/content"' in card.text
    assert "Damaged" in card.text


async def test_a_statement_is_printed_as_a_pdf_and_listed(client, fake_api, sign_in):
    fake_api.resources["billing /customers/c1/statement"] = statement()
    fake_api.resources["documents /statements"] = {
        "items": [
            {
                "id": "s1",
                "from": "2026-11-01",
                "to": "2026-11-30",
                "created_at": "2026-12-01T10:00:00Z",
            }
        ]
    }
    await sign_in("viewer")
    page = await client.get("/customers/c1/statement")
    assert 'href="/statements/s1/content"' in page.text
    assert "/statement/pdf" not in page.text
    await sign_in("accounting")
    page = await client.get("/customers/c1/statement?date_from=2026-11-01&date_to=2026-11-30")
    response = await client.post(
        "/customers/c1/statement/pdf",
        data={"csrf_token": csrf_of(page.text), "date_from": "2026-11-01", "date_to": ""},
    )
    assert response.headers["location"] == "/customers/c1/statement"
    assert fake_api.commands() == [
        ("POST", "billing /customers/c1/statements", {"from": "2026-11-01", "to": None})
    ]
    pdf = await client.get("/statements/s1/content")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-security-policy"] == "frame-ancestors 'self'"


async def test_warehouses_and_transfers(client, fake_api, sign_in):
    fake_api.resources["inventory /warehouses"] = {
        "items": [
            {"code": "MAIN", "name": "Main", "priority": 0, "is_default": True, "active": True},
            {"code": "EAST", "name": "East", "priority": 10, "is_default": False, "active": True},
        ]
    }
    fake_api.resources["inventory /transfers"] = {
        "items": [
            {
                "id": "t1",
                "from_warehouse": "MAIN",
                "to_warehouse": "EAST",
                "status": "in_transit",
                "lines": [{"sku": "WIDGET", "quantity": "5"}],
                "note": None,
                "created_at": "2026-12-01T10:00:00Z",
            }
        ]
    }
    await sign_in("viewer")
    page = await client.get("/warehouses")
    assert "5 × WIDGET" in page.text
    assert 'action="/transfers/t1/receive"' not in page.text
    await sign_in("warehouse")
    page = await client.get("/warehouses")
    assert 'action="/warehouses/EAST/deactivate"' in page.text
    assert 'action="/warehouses/MAIN/deactivate"' not in page.text  # the default stays
    token = csrf_of(page.text)
    await client.post(
        "/transfers",
        data={
            "csrf_token": token,
            "from_warehouse": "MAIN",
            "to_warehouse": "EAST",
            "lines": "WIDGET 3\nBOLT; 2\n",
        },
    )
    await client.post("/transfers/t1/receive", data={"csrf_token": token})
    fake_api.refuse["inventory /warehouses/EAST/deactivate"] = ServiceError(
        409, "Conflict", "warehouse EAST still holds stock"
    )
    refused = await client.post("/warehouses/EAST/deactivate", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "still holds stock" in refused.text
    sent = fake_api.commands()
    assert sent[0][1:] == (
        "inventory /transfers",
        {
            "from_warehouse": "MAIN",
            "to_warehouse": "EAST",
            "lines": [{"sku": "WIDGET", "quantity": "3"}, {"sku": "BOLT", "quantity": "2"}],
            "note": None,
        },
    )
    assert sent[1][1] == "inventory /transfers/t1/receive"


async def test_an_open_order_is_revised_and_its_revisions_listed(client, fake_api, sign_in):
    order = order_doc("open", "reserved")
    oid = order["id"]
    fake_api.orders[oid] = order
    fake_api.resources[f"orders /orders/{oid}/revisions"] = {
        "items": [
            {
                "revision": 1,
                "revised_at": "2026-12-01T12:00:00Z",
                "actor": "sam",
                "changes": [{"field": "lines.1.quantity", "before": "2", "after": "3"}],
            }
        ]
    }
    await sign_in("viewer")
    page = await client.get(f"/orders/{oid}/revisions")
    assert "lines.1.quantity" in page.text
    assert 'data-testid="revise"' not in page.text
    await sign_in("sales")
    card = await client.get(f"/orders/{oid}")
    assert f'href="/orders/{oid}/revisions"' in card.text
    page = await client.get(f"/orders/{oid}/revisions")
    token = csrf_of(page.text)
    response = await client.post(
        f"/orders/{oid}/revisions",
        data={"csrf_token": token, "keep-1": "1", "quantity-1": "5", "unit_price-1": "10.00"},
    )
    assert response.headers["location"] == f"/orders/{oid}/revisions"
    assert fake_api.commands() == [
        (
            "POST",
            f"orders /orders/{oid}/revisions",
            {"lines": [{"line_no": 1, "quantity": "5", "unit_price": "10.00"}]},
        )
    ]
    assert fake_api.called("order_action") == []  # not taken for an order action
    fake_api.refuse[f"orders /orders/{oid}/revisions"] = ServiceError(
        409,
        "Conflict",
        "below what shipped",
        errors=[{"field": "body.lines.0.quantity", "message": "at least 1"}],
    )
    response = await client.post(
        f"/orders/{oid}/revisions",
        data={"csrf_token": token, "keep-1": "1", "quantity-1": "0"},
    )
    assert response.status_code == 409
    assert 'id="err-line-1"' in response.text
    assert 'value="0"' in response.text


async def test_the_order_card_shows_the_delivery_dates(client, fake_api, sign_in):
    line = order_doc()["lines"][0]
    order = order_doc(
        "open",
        "reserved",
        requested_delivery_date="2026-12-08",
        promised_delivery_date="2026-12-10",
        lines=[line, line | {"line_no": 2, "promised_delivery_date": "2026-12-15"}],
    )
    fake_api.orders[order["id"]] = order
    await sign_in("viewer")
    card = await client.get(f"/orders/{order['id']}")
    dates = card.text.split('data-testid="delivery-dates">')[1].split("</p>")[0]
    assert dates == "Requested delivery Dec 8, 2026 · Promised delivery Dec 10, 2026"
    assert card.text.count("Promised delivery Dec 15, 2026") == 1  # line 2's own only
    spanish = await client.get(f"/orders/{order['id']}", headers={"Accept-Language": "es"})
    assert "Entrega prometida" in spanish.text
    assert "Entrega solicitada" in spanish.text
    plain = order_doc("open", "reserved")
    fake_api.orders[plain["id"]] = plain
    assert "delivery-dates" not in (await client.get(f"/orders/{plain['id']}")).text


async def test_a_revision_moves_the_promised_delivery_dates(client, fake_api, sign_in):
    line = order_doc()["lines"][0] | {"promised_delivery_date": "2026-12-10"}
    order = order_doc("open", "reserved", promised_delivery_date="2026-12-12", lines=[line])
    oid = order["id"]
    fake_api.orders[oid] = order
    fake_api.resources[f"orders /orders/{oid}/revisions"] = {"items": []}
    await sign_in("sales")
    page = await client.get(f"/orders/{oid}/revisions")
    assert 'name="promised_delivery_date" type="date" value="2026-12-12"' in page.text
    assert 'name="promised-1" type="date" value="2026-12-10"' in page.text
    response = await client.post(
        f"/orders/{oid}/revisions",
        data={
            "csrf_token": csrf_of(page.text),
            "keep-1": "1",
            "quantity-1": "3",
            "promised-1": "2026-12-18",
            "promised_delivery_date": "2026-12-19",
        },
    )
    assert response.status_code == 303
    assert fake_api.commands() == [
        (
            "POST",
            f"orders /orders/{oid}/revisions",
            {
                "lines": [
                    {
                        "line_no": 1,
                        "quantity": "3",
                        "unit_price": None,
                        "promised_delivery_date": "2026-12-18",
                    }
                ],
                "promised_delivery_date": "2026-12-19",
            },
        )
    ]
