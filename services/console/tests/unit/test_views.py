"""The console's pages against an in-memory SuiteApi: what is shown, what is called, as whom."""

from __future__ import annotations

import re

import jwt

from console.service_layer.ports import ServiceError

from ..conftest import DEV_SECRET, csrf_of, order_doc


async def test_a_page_without_a_session_sends_to_sign_in_and_back(client):
    response = await client.get("/orders?status=open")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/orders%3Fstatus%3Dopen"


async def test_an_htmx_request_without_a_session_is_redirected_by_header(client):
    response = await client.get("/orders", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/sign-in?next=")


async def test_development_sign_in_acts_with_a_token_for_the_chosen_roles(
    client, fake_api, sign_in
):
    response = await sign_in("sales", "warehouse", name="alice")
    assert response.headers["location"] == "/orders"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    await client.get("/orders")
    (token,) = {token for _, token, _ in fake_api.calls}
    claims = jwt.decode(token, DEV_SECRET, algorithms=["HS256"], audience="sales-order-suite")
    assert claims["sub"] == "alice"
    assert sorted(claims["roles"]) == ["sales", "warehouse"]


async def test_sign_in_without_a_role_is_refused(client):
    page = await client.get("/sign-in")
    response = await client.post(
        "/sign-in/dev", data={"csrf_token": csrf_of(page.text), "name": "x", "role": ["root"]}
    )
    assert response.status_code == 422
    assert "Pick at least one role" in response.text


async def test_a_form_post_without_the_sessions_token_is_refused_and_calls_nothing(
    client, fake_api, sign_in
):
    await sign_in("sales")
    order = order_doc()
    fake_api.orders[order["id"]] = order
    for data in ({}, {"csrf_token": "forged"}):
        response = await client.post(f"/orders/{order['id']}/confirm", data=data)
        assert response.status_code == 403
        assert "did not come from this console" in response.text
    assert fake_api.called("order_action") == []


async def test_the_csrf_token_may_come_in_the_htmx_header(client, fake_api, sign_in):
    await sign_in("sales")
    order = order_doc()
    fake_api.orders[order["id"]] = order
    token = csrf_of((await client.get("/orders")).text)
    response = await client.post(
        f"/orders/{order['id']}/confirm",
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/orders/{order['id']}"
    assert fake_api.called("order_action") == [(order["id"], "confirm", {})]


async def test_the_order_list_passes_the_filters_and_pages_on(client, fake_api, sign_in):
    await sign_in("viewer")
    fake_api.orders = {o["id"]: o for o in (order_doc("open", "reserved", number="SO-7"),)}
    fake_api.next_cursor = "abc"
    page = await client.get("/orders?status=open&q=acme&sort=gross&direction=asc")
    assert page.status_code == 200
    ((params,),) = fake_api.called("list_orders")
    assert params["status"] == "open"
    assert params["q"] == "acme"
    assert params["sort"] == "gross"
    assert params["limit"] == 25
    assert params["view"] == "summary"  # the list needs each order's header alone
    assert 'data-state="reserved"' in page.text
    assert "Acme GmbH" in page.text  # the summary's customer
    assert "SO-7" in page.text
    assert "cursor=abc" in page.text
    assert "status=open" in re.search(r'href="(/orders\?[^"]*cursor=abc[^"]*)"', page.text)[1]


async def test_a_refused_filter_is_shown_in_words(client, fake_api, sign_in):
    await sign_in("viewer")
    fake_api.refuse["list_orders"] = ServiceError(
        422,
        "Invalid input",
        "Invalid fields: date_from",
        [{"field": "date_from", "message": "Input should be a valid date"}],
    )
    page = await client.get("/orders?date_from=yesterday")
    assert page.status_code == 200
    assert "Input should be a valid date" in page.text


async def test_a_viewer_sees_no_action_buttons(client, fake_api, sign_in):
    await sign_in("viewer")
    order = order_doc("draft")
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert card.status_code == 200
    assert 'data-testid="actions"' not in card.text
    assert "Cancel order" not in card.text


async def test_sales_may_confirm_a_draft_and_warehouse_may_ship_a_reserved_order(
    client, fake_api, sign_in
):
    await sign_in("sales")
    draft = order_doc("draft")
    fake_api.orders[draft["id"]] = draft
    card = await client.get(f"/orders/{draft['id']}")
    assert f'action="/orders/{draft["id"]}/confirm"' in card.text
    assert "Ship what is left" not in card.text

    await sign_in("warehouse")
    reserved = order_doc("open", "reserved")
    fake_api.orders[reserved["id"]] = reserved
    card = await client.get(f"/orders/{reserved['id']}")
    assert f'action="/orders/{reserved["id"]}/ship"' in card.text
    response = await client.post(
        f"/orders/{reserved['id']}/ship",
        data={"csrf_token": csrf_of(card.text), "idempotency_key": "k1"},
    )
    assert response.status_code == 303
    (shipment,) = fake_api.called("create_shipment")
    assert shipment == (
        {"order_id": reserved["id"], "lines": [{"sku": "WIDGET", "quantity": "2"}]},
        "k1",
    )


async def test_sales_closes_a_partially_shipped_order_short(client, fake_api, sign_in):
    await sign_in("warehouse")
    order = order_doc("open", "partially_shipped")
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert "close-short" not in card.text  # a sales decision

    await sign_in("sales")
    card = await client.get(f"/orders/{order['id']}")
    assert f'action="/orders/{order["id"]}/close-short"' in card.text
    response = await client.post(
        f"/orders/{order['id']}/close-short",
        data={"csrf_token": csrf_of(card.text), "reason": "the customer waits no longer"},
    )
    assert response.status_code == 303
    assert fake_api.called("order_action") == [
        (order["id"], "close-short", {"reason": "the customer waits no longer"})
    ]


async def test_a_refused_action_shows_the_services_words_on_the_card(client, fake_api, sign_in):
    await sign_in("sales")
    order = order_doc("draft")
    fake_api.orders[order["id"]] = order
    fake_api.refuse["order_action"] = ServiceError(
        409, "Conflict", "cannot confirm an order that is cancelled"
    )
    card = await client.get(f"/orders/{order['id']}")
    response = await client.post(
        f"/orders/{order['id']}/confirm", data={"csrf_token": csrf_of(card.text)}
    )
    assert response.status_code == 409
    assert "cannot confirm an order that is cancelled" in response.text
    assert "Traceback" not in response.text


async def test_the_live_part_stops_polling_once_the_order_is_settled(client, fake_api, sign_in):
    await sign_in("viewer")
    moving = order_doc("open", "reserving")
    done = order_doc("concluded", "shipped", billing="paid")
    fake_api.orders.update({moving["id"]: moving, done["id"]: done})
    fake_api.timeline = [
        {
            "occurred_at": "2026-12-01T10:00:00Z",
            "type": "suite.order.confirmed.v1",
            "source": "orders",
            "event_id": "e1",
            "summary": "Order confirmed",
            "actor": "alice",
            "data": {},
        },
    ]
    live = await client.get(f"/orders/{moving['id']}/live")
    assert 'hx-trigger="every 2s"' in live.text
    assert "Order confirmed" in live.text
    assert "<html" not in live.text
    live = await client.get(f"/orders/{done['id']}/live")
    assert "hx-trigger" not in live.text


async def test_new_order_looks_items_up_and_shows_errors_next_to_their_fields(
    client, fake_api, sign_in
):
    await sign_in("sales")
    form = await client.get("/orders/new?customer_q=acme&lines-0-sku=WIDGET&lines-1-sku=set")
    assert form.status_code == 200
    assert 'value="Widget"' in form.text  # description from the catalogue
    assert re.search(r'data-testid="available-0">\s*8\s*<', form.text)
    assert 'value="SETUP"' in form.text  # one product matched the name typed
    assert "Acme GmbH" in form.text

    fake_api.refuse["create_order"] = ServiceError(
        422,
        "Invalid input",
        "Invalid fields: lines.0.quantity",
        [{"field": "body.lines.0.quantity", "message": "Input should be greater than 0"}],
    )
    response = await client.post(
        "/orders/new",
        data={
            "csrf_token": csrf_of(form.text),
            "idempotency_key": "key-1",
            "line_count": "3",
            "customer_id": "c1",
            "currency": "eur",
            "lines-0-sku": "WIDGET",
            "lines-0-description": "Widget",
            "lines-0-kind": "product",
            "lines-0-quantity": "0",
            "lines-0-unit_price": "10",
            "lines-0-tax_rate": "20",
            "promised_delivery_date": "2026-12-10",
        },
    )
    assert response.status_code == 422
    assert 'id="err-lines-0-quantity"' in response.text
    assert 'name="promised_delivery_date" type="date" value="2026-12-10"' in response.text
    assert "Input should be greater than 0" in response.text
    ((body, key),) = fake_api.called("create_order")
    assert key == "key-1"
    assert body["currency"] == "EUR"
    assert body["customer_id"] == "c1"
    assert (body["requested_delivery_date"], body["promised_delivery_date"]) == (None, "2026-12-10")
    assert body["lines"] == [
        {
            "sku": "WIDGET",
            "kind": "product",
            "description": "Widget",
            "quantity": "0",
            "unit_price": "10",
            "discount_percent": "0",
            "tax_rate": "20",
        }
    ]
    assert 'value="key-1"' in response.text  # a retry creates nothing twice


async def test_recording_a_payment_goes_to_billing_as_the_accountant(client, fake_api, sign_in):
    await sign_in("accounting")
    fake_api.invoices["i1"] = {
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
        "lines": [],
        "paid_total": "0.00",
        "balance": "36.00",
        "payments": [],
        "totals": {"gross": "36.00"},
    }
    fake_api.documents["d1"] = {"id": "d1", "reference": "INV-1", "filename": "INV-1.pdf"}
    card = await client.get("/invoices/i1")
    assert 'href="/documents/d1/content"' in card.text
    assert 'value="36.00"' in card.text
    response = await client.post(
        "/invoices/i1/payments",
        data={
            "csrf_token": csrf_of(card.text),
            "amount": "36.00",
            "method": "card",
            "idempotency_key": "pay-1",
            "next": "https://elsewhere.example/",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/invoices/i1"  # never another site
    assert fake_api.called("record_payment") == [
        ("i1", {"amount": "36.00", "method": "card", "reference": None}, "pay-1")
    ]


async def test_a_document_is_shown_inline_and_only_in_this_consoles_frames(
    client, fake_api, sign_in
):
    await sign_in("viewer")
    response = await client.get("/documents/d1/content")
    assert response.content == b"%PDF-1.7 fake"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="INV-1.pdf"'
    assert response.headers["content-security-policy"] == "frame-ancestors 'self'"


async def test_an_expired_token_sends_back_to_sign_in(client, fake_api, sign_in):
    await sign_in("viewer")
    fake_api.refuse["list_orders"] = ServiceError(401, "Unauthorized", "expired")
    response = await client.get("/orders")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    assert (await client.get("/orders")).status_code == 303  # the session is gone


async def test_every_page_has_a_strict_policy_and_no_inline_script_or_style(
    client, fake_api, sign_in
):
    await sign_in("admin")
    order = order_doc("open", "reserved")
    fake_api.orders[order["id"]] = order
    for path in (
        "/sign-in",
        "/orders",
        f"/orders/{order['id']}",
        "/orders/new",
        "/customers",
        "/products",
        "/invoices",
        "/receivables",
        "/quotes",
        "/purchase-orders",
        "/payments",
        "/reports/sales",
    ):
        page = await client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe" not in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\sstyle=", page.text), path
        assert not re.search(r"\son[a-z]+=", page.text), path
        assert "https://" not in page.text  # nothing from a CDN


async def test_customers_can_be_searched_and_created(client, fake_api, sign_in):
    await sign_in("sales")
    page = await client.get("/customers?q=acme")
    assert "Acme GmbH" in page.text
    response = await client.post(
        "/customers",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Beta",
            "email": "b@beta.example",
            "idempotency_key": "cust-1",
        },
    )
    assert response.status_code == 303
    card = await client.get(response.headers["location"])
    assert "Beta" in card.text


async def test_products_show_their_stock(client, fake_api, sign_in):
    await sign_in("warehouse")
    page = await client.get("/products")
    assert re.search(r"WIDGET.*?<td class=\"num\">10</td>.*?>2<.*?>8<", page.text, re.S)
    assert fake_api.called("get_stock") == [("WIDGET",)]  # services have no stock


async def test_receivables_are_aged_per_customer_with_totals(client, fake_api, sign_in):
    await sign_in("accounting")
    page = await client.get("/receivables?as_of=2026-12-01&currency=eur")
    assert page.status_code == 200
    ((params,),) = fake_api.called("list_receivables")
    assert (params["as_of"], params["currency"]) == ("2026-12-01", "EUR")
    assert 'href="/customers/c1">Acme GmbH' in page.text
    assert "All customers" in page.text
    assert "15.00" in page.text


async def test_filters_are_saved_and_a_saved_filter_lists_its_orders(client, fake_api, sign_in):
    await sign_in("sales")
    page = await client.get("/orders?status=open&q=acme")
    assert 'name="status" value="open"' in page.text  # the form saves what is shown
    response = await client.post(
        "/orders/saved-filters",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Open Acme",
            "status": "open",
            "q": "acme",
            "idempotency_key": "sf-1",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/orders?saved=f1"
    assert fake_api.called("create_saved_filter") == [
        ({"name": "Open Acme", "query": {"status": "open", "q": "acme"}}, "sf-1")
    ]
    page = await client.get("/orders?saved=f1")
    assert "Open Acme" in page.text
    assert fake_api.called("saved_filter_orders") == [
        ("f1", {"limit": 25, "cursor": None, "view": "summary"})
    ]


async def test_warehouse_adjusts_stock_on_the_product_card(client, fake_api, sign_in):
    await sign_in("warehouse")
    card = await client.get("/products/WIDGET")
    assert "opening stock" in card.text
    response = await client.post(
        "/products/WIDGET/adjustments",
        data={
            "csrf_token": csrf_of(card.text),
            "kind": "damage",
            "quantity": "2",
            "reason": "dropped",
            "idempotency_key": "adj-1",
        },
    )
    assert response.status_code == 303
    assert fake_api.called("adjust_stock") == [
        ({"sku": "WIDGET", "kind": "damage", "quantity": "2", "reason": "dropped"}, "adj-1")
    ]
    fake_api.refuse["adjust_stock"] = ServiceError(
        422,
        "Invalid input",
        "Invalid fields: body.reason",
        [{"field": "body.reason", "message": "Field required"}],
    )
    response = await client.post(
        "/products/WIDGET/adjustments",
        data={"csrf_token": csrf_of(card.text), "kind": "receipt", "quantity": "1"},
    )
    assert response.status_code == 422
    assert "Field required" in response.text


async def test_a_viewer_gets_no_adjustment_or_e_mail_forms(client, fake_api, sign_in):
    await sign_in("viewer")
    assert "Adjust stock" not in (await client.get("/products/WIDGET")).text
    order = order_doc(
        "open",
        "shipped",
        documents=[
            {
                "document_id": "d1",
                "kind": "order_confirmation",
                "reference": "SO-1",
                "download_path": "/documents/d1/content",
            }
        ],
    )
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert "/documents/d1/email" not in card.text
    assert "1 × WIDGET" in card.text  # its shipments


async def test_sales_e_mails_the_latest_document_to_the_customer(client, fake_api, sign_in):
    await sign_in("sales")
    order = order_doc(
        "open",
        "reserved",
        documents=[
            {
                "document_id": "d1",
                "kind": "order_confirmation",
                "reference": "SO-1",
                "download_path": "/documents/d1/content",
            }
        ],
    )
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert 'value="buy@acme.example"' in card.text
    response = await client.post(
        "/documents/d1/email",
        data={
            "csrf_token": csrf_of(card.text),
            "to": "a@x.example; b@x.example",
            "message": "Here it is",
            "idempotency_key": "m-1",
            "next": f"/orders/{order['id']}",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/orders/{order['id']}"
    assert fake_api.called("email_document") == [
        ("d1", {"to": ["a@x.example", "b@x.example"], "message": "Here it is"}, "m-1")
    ]


async def test_quotes_and_purchase_orders_are_listed(client, fake_api, sign_in):
    await sign_in("viewer")
    page = await client.get("/quotes?status=sent&q=acme")
    ((params,),) = fake_api.called("list_quotes")
    assert params == {"status": "sent", "q": "acme", "cursor": None, "limit": 25}
    assert 'href="/orders/o9">SO-9' in page.text
    assert 'data-state="sent"' in page.text
    page = await client.get("/purchase-orders?status=bogus")
    ((po_params,),) = fake_api.called("list_purchase_orders")
    assert po_params["status"] is None  # a status the service does not know is not sent
    assert "Bolts &amp; Co" in page.text
    assert "4 / 10" in page.text


STAGES = [
    {
        "key": "approval",
        "name": "Approval",
        "position": 1,
        "required_fields": [],
        "allowed_roles": ["admin"],
        "is_approval": True,
    },
    {
        "key": "execution",
        "name": "Execution",
        "position": 2,
        "required_fields": ["contract_number"],
        "allowed_roles": [],
        "is_approval": False,
    },
]


async def test_sales_moves_an_open_order_through_the_stages(client, fake_api, sign_in):
    await sign_in("sales")
    fake_api.stages = STAGES
    order = order_doc("open", "reserved", approval=None)
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert '<option value="execution"' in card.text
    assert '<option value="approval"' not in card.text  # approval is decided, not chosen
    assert "Approve" not in card.text  # the approval stage is for admins here
    fake_api.refuse["order_action"] = ServiceError(
        422,
        "Invalid input",
        "fields required by the stage execution",
        [{"field": "contract_number", "message": "required before execution"}],
    )
    response = await client.post(
        f"/orders/{order['id']}/stage",
        data={"csrf_token": csrf_of(card.text), "stage": "execution", "reason": "signed"},
    )
    assert response.status_code == 422
    assert "required before execution" in response.text
    assert fake_api.called("order_action") == [
        (order["id"], "stage", {"stage": "execution", "reason": "signed"})
    ]


async def test_an_approver_approves_or_refuses(client, fake_api, sign_in):
    await sign_in("admin")
    fake_api.stages = STAGES
    order = order_doc("open", "reserved", approval=None)
    fake_api.orders[order["id"]] = order
    card = await client.get(f"/orders/{order['id']}")
    assert "Approval (Approval)" in card.text
    for decision in ("approve", "refuse"):
        response = await client.post(
            f"/orders/{order['id']}/approval",
            data={"csrf_token": csrf_of(card.text), "decision": decision, "reason": "ok"},
        )
        assert response.status_code == 303
    assert [args[1:] for args in fake_api.called("order_action")] == [
        ("approval", {"approved": True, "reason": "ok"}),
        ("approval", {"approved": False, "reason": "ok"}),
    ]


async def test_the_browsers_language_is_used_until_the_person_chooses_one(
    client, fake_api, sign_in
):
    await sign_in("viewer")
    fake_api.orders = {o["id"]: o for o in (order_doc("open", "partially_shipped"),)}
    page = await client.get("/orders", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in page.text
    assert "Заказы" in page.text
    assert "отгружен частично" in page.text  # the state badge
    assert "36,00" in page.text  # money as Russian writes it
    page = await client.post(
        "/language", data={"csrf_token": csrf_of(page.text), "language": "es", "next": "/orders"}
    )
    assert page.status_code == 303
    page = await client.get("/orders", headers={"Accept-Language": "ru"})
    assert '<html lang="es">' in page.text
    assert "Pedidos" in page.text
    assert "36,00" in page.text
    page = await client.get("/orders", headers={"Accept-Language": "de-DE,fr"})
    assert '<html lang="es">' in page.text  # the choice stays


async def test_english_when_the_browser_asks_for_nothing_we_have(client, fake_api, sign_in):
    await sign_in("viewer")
    fake_api.orders = {o["id"]: o for o in (order_doc("open", "reserved"),)}
    page = await client.get("/orders", headers={"Accept-Language": "de-DE,fr;q=0.8"})
    assert '<html lang="en">' in page.text
    assert "€36.00" in page.text


async def test_payments_list_what_they_settled_and_the_credit_left(client, fake_api, sign_in):
    await sign_in("accounting")
    page = await client.get("/payments?status=received&currency=eur")
    ((params,),) = fake_api.called("list_payments")
    assert (params["status"], params["currency"]) == ("received", "EUR")
    assert 'href="/invoices/i1">INV-1' in page.text
    assert "€50.00" in page.text
    assert "€14.00" in page.text


async def test_the_sales_report_is_a_table_and_a_chart_per_currency(client, fake_api, sign_in):
    await sign_in("sales")
    page = await client.get("/reports/sales?by=nonsense&currency=eur&date_from=2026-11-01")
    ((params,),) = fake_api.called("sales_report")
    assert params == {"by": "period", "date_from": "2026-11-01", "date_to": "", "currency": "EUR"}
    widths = re.findall(r'<rect class="bar"[^>]*width="([0-9.]+)"', page.text)
    assert widths == ["100.0", "50.0", "100.0"]  # yen are compared with yen only
    assert "€120.00" in page.text
    assert "¥990" in page.text
