"""The pages added over existing APIs: the order list's owner and team filters, a customer's
contacts, a product's stock per warehouse, the low-stock list, a line's delivery dates and the
new-quote form."""

from __future__ import annotations

from console.service_layer.ports import ServiceError

from ..conftest import csrf_of, order_doc


def stock_row(sku: str, warehouse: str, available: str, reorder_point: str | None) -> dict:
    return {
        "sku": sku,
        "name": sku.title(),
        "warehouse": warehouse,
        "on_hand": available,
        "reserved": "0",
        "available": available,
        "incoming": "4",
        "reorder_point": reorder_point,
    }


async def test_my_orders_and_the_team_filter_are_sent_and_kept_in_the_links(
    client, fake_api, sign_in
):
    fake_api.orders["o1"] = order_doc(id="o1", owner="bob", team="north")
    fake_api.next_cursor = "c2"
    await sign_in("sales")
    page = await client.get("/orders?owner=me&team=north")
    assert fake_api.called("list_orders")[-1][0]["owner"] == "me"
    assert fake_api.called("list_orders")[-1][0]["team"] == "north"
    assert '<option value="me" selected>' in page.text
    assert 'id="team" name="team" size="10" maxlength="200" value="north"' in page.text
    assert "owner=me&amp;team=north&amp;cursor=c2" in page.text  # the next page keeps them
    assert 'href="/orders?owner=bob">bob</a>' in page.text
    assert 'name="owner" value="me"' in page.text  # saving the filter keeps them too
    await client.post(
        "/orders/saved-filters",
        data={"csrf_token": csrf_of(page.text), "name": "Mine", "owner": "me", "team": "north"},
    )
    assert fake_api.called("create_saved_filter")[0][0]["query"] == {
        "owner": "me",
        "team": "north",
    }
    page = await client.get("/orders?owner=bob")
    assert '<option value="bob" selected>bob</option>' in page.text


async def test_the_customer_card_lists_contacts_and_sales_adds_one(client, fake_api, sign_in):
    fake_api.resources["orders /customers/c1/contacts"] = {
        "items": [
            {
                "id": "k1",
                "customer_id": "c1",
                "name": "Jane Buyer",
                "email": "jane@acme.example",
                "phone": None,
                "position": "Purchasing",
                "label": "Jane Buyer",
            }
        ],
        "next_cursor": None,
    }
    await sign_in("viewer")
    page = await client.get("/customers/c1")
    assert "Jane Buyer" in page.text
    assert "mailto:jane@acme.example" in page.text
    assert 'action="/customers/c1/contacts"' not in page.text
    await sign_in("sales")
    page = await client.get("/customers/c1")
    token = csrf_of(page.text)
    added = await client.post(
        "/customers/c1/contacts",
        data={"csrf_token": token, "name": " Max ", "phone": "+49 30 1", "position": ""},
    )
    assert added.status_code == 303
    assert fake_api.commands() == [
        (
            "POST",
            "orders /customers/c1/contacts",
            {"name": "Max", "email": None, "phone": "+49 30 1", "position": None},
        )
    ]
    fake_api.refuse["orders /customers/c1/contacts"] = ServiceError(
        422,
        "Unprocessable Content",
        "the request is invalid",
        errors=[{"field": "body.email", "message": "not an e-mail address"}],
    )
    refused = await client.post(
        "/customers/c1/contacts", data={"csrf_token": token, "name": "Max", "email": "max@"}
    )
    assert refused.status_code == 422
    assert 'id="err-email" role="alert">not an e-mail address' in refused.text
    assert 'value="max@"' in refused.text


async def test_the_product_card_shows_stock_per_warehouse(client, fake_api, sign_in):
    fake_api.resources["inventory /stock"] = {
        "items": [
            stock_row("WIDGET", "EAST", "2", "5"),
            stock_row("WIDGET", "MAIN", "8", None),
            stock_row("WIDGET-XL", "MAIN", "1", "9"),
        ],
        "next_cursor": None,
    }
    await sign_in("viewer")
    page = await client.get("/products/WIDGET")
    reads = [args for args in fake_api.called("read") if args[1] == "/stock"]
    assert reads[0][2]["q"] == "WIDGET"
    table = page.text.split('data-testid="stock-per-warehouse"')[1].split("</table>")[0]
    assert "EAST" in table
    assert "MAIN" in table
    assert "WIDGET-XL" not in page.text
    assert table.count("badge-warning") == 1  # EAST: 2 available under 5


async def test_the_low_stock_list_by_warehouse(client, fake_api, sign_in):
    fake_api.resources["inventory /stock"] = {
        "items": [stock_row("WIDGET", "EAST", "2", "5.5")],
        "next_cursor": "n1",
    }
    fake_api.resources["inventory /warehouses"] = {
        "items": [{"code": "EAST", "name": "East", "active": True}]
    }
    await sign_in("viewer")
    page = await client.get("/stock/low?warehouse=EAST", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    read = next(args for args in fake_api.called("read") if args[1] == "/stock")
    assert read[2]["low_stock"] == "true"
    assert read[2]["warehouse"] == "EAST"
    assert "Stock bajo" in page.text
    assert '<td class="num">3,5</td>' in page.text  # short by, in Spanish
    assert "warehouse=EAST&amp;cursor=n1" in page.text


async def test_the_order_card_shows_a_lines_requested_delivery_date_too(client, fake_api, sign_in):
    line = {**order_doc()["lines"][0], "requested_delivery_date": "2026-12-20"}
    line["promised_delivery_date"] = "2026-12-22"
    fake_api.orders["o1"] = order_doc(id="o1", lines=[line])
    await sign_in("viewer")
    page = await client.get("/orders/o1")
    lines = page.text.split('data-testid="lines"')[1].split("</table>")[0]
    assert "Requested delivery Dec 20, 2026" in lines
    assert "Promised delivery Dec 22, 2026" in lines


async def test_sales_creates_a_quote_with_the_order_forms_look_up(client, fake_api, sign_in):
    await sign_in("viewer")
    assert 'href="/quotes/new"' not in (await client.get("/quotes")).text
    await sign_in("sales")
    assert 'href="/quotes/new"' in (await client.get("/quotes")).text
    page = await client.get("/quotes/new?customer_q=Acme&lines-0-sku=WIDGET")
    assert 'action="/quotes/new"' in page.text
    assert 'id="valid_until"' in page.text
    assert 'id="requested_delivery_date"' not in page.text  # an order's, not a quote's
    assert 'data-testid="available-0">8<' in page.text  # the item look-up of the order form
    fields = {
        "csrf_token": csrf_of(page.text),
        "idempotency_key": "k1",
        "line_count": "3",
        "customer_id": "c1",
        "currency": "eur",
        "valid_until": "2026-12-31",
        "lines-0-sku": "WIDGET",
        "lines-0-description": "Widget",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "10.00",
        "lines-0-tax_rate": "20",
    }
    fake_api.results["orders /quotes"] = {"id": "q9", "number": "QT-2026-000009"}
    created = await client.post("/quotes/new", data=fields)
    assert created.status_code == 303
    assert created.headers["location"] == "/quotes/q9"
    method, where, body = fake_api.commands()[0]
    assert (method, where) == ("POST", "orders /quotes")
    assert body["currency"] == "EUR"
    assert body["valid_until"] == "2026-12-31"
    assert "requested_delivery_date" not in body
    assert body["lines"] == [
        {
            "sku": "WIDGET",
            "kind": "product",
            "description": "Widget",
            "quantity": "2",
            "unit_price": "10.00",
            "discount_percent": "0",
            "tax_rate": "20",
        }
    ]
    assert fake_api.called("command")[0][4] == "k1"
    fake_api.refuse["orders /quotes"] = ServiceError(
        422,
        "Unprocessable Content",
        "the request is invalid",
        errors=[{"field": "body.valid_until", "message": "before the quote date"}],
    )
    refused = await client.post("/quotes/new", data=fields)
    assert refused.status_code == 422
    assert 'id="err-valid_until" role="alert">before the quote date' in refused.text
    assert 'value="2026-12-31"' in refused.text
