"""The web console in a real browser against the real suite.

Headless Chromium from the distribution's packages (`/usr/bin/chromium`, installed by
`deploy/local/setup.sh`), driven by Playwright pointed at that executable; the console runs as
its own process in front of the four services (the `suite` fixture), which run on real Kafka
and PostgreSQL. Each step's screenshot is written to `test-artifacts/console/`.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from servicekit.testing import ServiceProcess, Suite, bearer, eventually, free_port
from tests.integration import test_order_lifecycle as lifecycle

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
# As the machine's closed network wants: no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
LIVE_TIMEOUT_MS = 60_000

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
async def console(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The console process, in front of the suite's four services."""
    workdir = tmp_path_factory.mktemp("console")
    env = {
        **os.environ,
        **{f"{name.upper()}_URL": suite.url(name) for name in suite.services},
        "CONSOLE_COOKIE_SECURE": "false",  # plain HTTP on loopback
    }
    process = ServiceProcess("console", free_port(), env, workdir / "console.log")
    process.start()
    try:
        await process.wait_ready()
        yield process.url
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert shutil.which(CHROMIUM), (
        f"{CHROMIUM} is missing: `make setup` installs Debian's chromium and chromium-driver"
    )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


class Person:
    """One person's browser session on the console, with screenshots of their steps."""

    def __init__(self, context: BrowserContext, page: Page, base: str, name: str) -> None:
        self.context, self.page, self.base, self.name = context, page, base, name
        self.step = 0

    async def shot(self, what: str) -> None:
        self.step += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.step:02d}-{what}.png"
        await self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture
async def sign_in(browser: Browser, console: str, request: pytest.FixtureRequest):
    contexts: list[BrowserContext] = []

    async def sign_in(role: str, name: str) -> Person:
        context = await browser.new_context(base_url=console)
        contexts.append(context)
        page = await context.new_page()
        await page.goto("/orders")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("Name").fill(name)
        await page.get_by_role("checkbox", name=role, exact=True).check()
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_test_id("user")).to_have_text(f"{name} ({role})")
        person = Person(context, page, console, f"{request.node.name}-{role}")
        await person.shot("signed-in")
        return person

    yield sign_in
    for context in contexts:
        await context.close()


# --- data made through the services' APIs ---------------------------------------------------------


async def a_product(suite: Suite, on_hand: str = "100") -> str:
    sku = f"CON-{uuid.uuid4().hex[:8].upper()}"
    async with suite.client("inventory", "warehouse") as inventory:
        response = await inventory.put(
            f"/products/{sku}", json={"name": f"Console bolt {sku[-4:]}", "kind": "product"}
        )
        assert response.status_code in (200, 201), response.text
        response = await inventory.post(
            "/stock/adjustments",
            json={"sku": sku, "kind": "receipt", "quantity": on_hand, "reason": "opening stock"},
        )
        assert response.status_code == 201, response.text

    # Product lines name items orders knows; its catalogue learns the item and its stock from
    # two events, and the order and quote forms read availability once, when a SKU is entered.
    async def stocked() -> bool:
        item = await lifecycle.catalogued(suite, sku)
        return Decimal(item["availability"]["on_hand"]) == Decimal(on_hand)

    await eventually(stocked, within=60)
    return sku


async def a_customer(suite: Suite, name: str | None = None) -> dict[str, Any]:
    name = name or f"Console Customer {uuid.uuid4().hex[:6]}"
    async with suite.client("orders", "sales") as orders:
        response = await orders.post(
            "/customers", json={"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.com"}
        )
        assert response.status_code == 201, response.text
        customer: dict[str, Any] = response.json()
    return customer


async def an_order(
    suite: Suite, customer_id: str, sku: str, *, confirm: bool, reference: str | None = None
) -> dict[str, Any]:
    async with suite.client("orders", "sales") as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": customer_id,
                "customer_reference": reference,
                "currency": "EUR",
                "lines": [
                    {
                        "sku": sku,
                        "kind": "product",
                        "description": "Console bolt",
                        "quantity": "2",
                        "unit_price": "12.50",
                        "tax_rate": "20",
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        if confirm:
            response = await orders.post(f"/orders/{order['id']}/confirm")
            assert response.status_code == 200, response.text
    return order


async def order_state(suite: Suite, order_id: str) -> dict[str, Any]:
    async with suite.client("orders", "viewer") as orders:
        order: dict[str, Any] = (await orders.get(f"/orders/{order_id}")).json()
    return order


# --- the stories ----------------------------------------------------------------------------------


async def test_a_salesperson_creates_an_order_with_the_item_look_up_and_watches_it_reserved(
    suite: Suite, sign_in
):
    sku = await a_product(suite, on_hand="40")
    customer = await a_customer(suite)
    sales = await sign_in("sales", "sam")
    page = sales.page

    await page.get_by_role("link", name="New order").click()
    await page.get_by_label("Find a customer").fill(customer["name"])
    await page.get_by_role("radio", name=customer["name"]).check()
    # the look-up finds the product by (part of) its name and shows what is available
    await page.get_by_label("Line 1 SKU or name").fill(f"bolt {sku[-4:]}")
    await page.get_by_label("Line 1 SKU or name").press("Tab")
    await expect(page.get_by_label("Line 1 SKU or name")).to_have_value(sku)
    await expect(page.get_by_label("Line 1 description")).to_have_value(f"Console bolt {sku[-4:]}")
    await expect(page.get_by_test_id("available-0")).to_have_text("40")
    await page.get_by_label("Line 1 quantity").fill("3")
    await page.get_by_label("Line 1 unit price").fill("12.50")
    await page.get_by_label("Line 1 tax rate").fill("20")
    await sales.shot("new-order")
    await page.get_by_role("button", name="Create order").click()

    await expect(page.get_by_role("status")).to_contain_text("created")
    await expect(page.get_by_test_id("status")).to_have_text("draft")
    await expect(page.get_by_test_id("gross")).to_have_text("€45.00")
    order_id = page.url.rsplit("/", 1)[1]
    await sales.shot("draft")

    await page.get_by_role("button", name="Confirm").click()
    # the card follows the order as inventory reserves it and documents prints it
    await expect(page.get_by_test_id("fulfilment")).to_have_text(
        "reserved", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.get_by_test_id("timeline")).to_contain_text(
        "Stock reserved", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.get_by_test_id("status")).to_have_text("open")
    await sales.shot("reserved")
    # the sales role has nothing to ship
    await expect(page.get_by_role("button", name="Ship what is left")).to_have_count(0)
    assert (await order_state(suite, order_id))["fulfilment"] == "reserved"


async def test_warehouse_ships_and_an_accountant_records_the_payment_and_opens_the_invoice(
    suite: Suite, sign_in
):
    sku = await a_product(suite)
    customer = await a_customer(suite)
    order = await an_order(suite, customer["id"], sku, confirm=True)
    await eventually(
        lambda: _has(suite, order["id"], fulfilment="reserved"), within=LIVE_TIMEOUT_MS / 1000
    )

    warehouse = await sign_in("warehouse", "wanda")
    await warehouse.page.goto(f"/orders/{order['id']}")
    await expect(warehouse.page.get_by_role("button", name="Confirm")).to_have_count(0)
    await warehouse.page.get_by_role("button", name="Ship what is left").click()
    await expect(warehouse.page.get_by_test_id("fulfilment")).to_have_text(
        "shipped", timeout=LIVE_TIMEOUT_MS
    )
    await warehouse.shot("shipped")

    sales = await sign_in("sales", "sam")
    await sales.page.goto(f"/orders/{order['id']}")
    await sales.page.get_by_role("button", name="Complete").click()
    await expect(sales.page.get_by_test_id("billing")).to_have_text(
        "invoiced", timeout=LIVE_TIMEOUT_MS
    )
    await sales.shot("invoiced")

    accountant = await sign_in("accounting", "ann")
    page = accountant.page
    await page.goto(f"/orders/{order['id']}")
    await page.get_by_role("link", name=re.compile(r"^INV")).click()
    await expect(page.get_by_test_id("balance")).to_have_text("€30.00")
    await expect(page.get_by_label("Amount (EUR)")).to_have_value("30.00")
    await page.get_by_label("Method").select_option("bank_transfer")
    await page.get_by_label("Reference").fill("statement 42")
    await accountant.shot("invoice")
    await page.get_by_role("button", name="Record payment").click()
    await expect(page.get_by_role("status")).to_have_text("Payment recorded.")
    await expect(page.get_by_test_id("balance")).to_have_text("€0.00")
    await expect(page.get_by_test_id("payments")).to_contain_text("statement 42")
    await accountant.shot("paid")

    # the invoice's PDF, as the documents service made it, through the console
    pdf_link = page.get_by_test_id("invoice-pdf")
    for _ in range(LIVE_TIMEOUT_MS // 1000):
        if await pdf_link.count():
            break
        await page.wait_for_timeout(1000)
        await page.reload()
    href = await pdf_link.first.get_attribute("href")
    assert href
    response = await accountant.context.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")

    await eventually(lambda: _has(suite, order["id"], billing="paid"), within=60)
    await page.goto(f"/orders/{order['id']}")
    await expect(page.get_by_test_id("billing")).to_have_text("paid")
    await accountant.shot("order-paid")


async def test_a_viewer_sees_no_actions_and_a_forged_form_post_changes_nothing(
    suite: Suite, sign_in, console: str
):
    sku = await a_product(suite)
    customer = await a_customer(suite)
    order = await an_order(suite, customer["id"], sku, confirm=False)

    viewer = await sign_in("viewer", "vic")
    await viewer.page.goto(f"/orders/{order['id']}")
    await expect(viewer.page.get_by_test_id("status")).to_have_text("draft")
    await expect(viewer.page.get_by_role("button")).to_have_text(["Change", "Sign out"])
    await viewer.shot("no-actions")

    sales = await sign_in("sales", "sam")
    # a post with the salesperson's cookie but without the form's CSRF token
    forged = await sales.context.request.post(
        f"/orders/{order['id']}/confirm", form={"idempotency_key": "x"}, max_redirects=0
    )
    assert forged.status == 403
    assert "did not come from this console" in await forged.text()
    forged = await sales.context.request.post(
        f"/orders/{order['id']}/confirm", form={"csrf_token": "guessed"}, max_redirects=0
    )
    assert forged.status == 403
    # a form on another site posting to the console, in the salesperson's browser
    evil = await sales.context.new_page()
    await evil.set_content(
        f'<form method="post" action="{console}/orders/{order["id"]}/confirm">'
        '<input name="csrf_token" value="guessed"><button>Win a prize</button></form>'
    )
    await evil.get_by_role("button", name="Win a prize").click()
    await evil.wait_for_load_state()
    await evil.screenshot(path=str(ARTIFACTS / f"{sales.name}-forged-post.png"), full_page=True)
    assert (await order_state(suite, order["id"]))["status"] == "draft"


async def test_the_order_list_is_filtered_and_paged(suite: Suite, sign_in):
    sku = await a_product(suite)
    customer = await a_customer(suite)
    reference = f"PAGING-{uuid.uuid4().hex[:8]}"  # what the search finds
    for _ in range(27):
        await an_order(suite, customer["id"], sku, confirm=False, reference=reference)
    other = await an_order(suite, customer["id"], sku, confirm=True, reference=reference)

    viewer = await sign_in("viewer", "vic")
    page = viewer.page
    await page.get_by_label("Search").fill(reference)
    await page.get_by_label("Status").select_option("draft")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"status=draft"))
    rows = page.get_by_test_id("orders").locator("tbody tr")
    await expect(rows).to_have_count(25)
    await expect(page.get_by_test_id("orders")).not_to_contain_text(other["number"])
    await viewer.shot("page-1")
    await page.get_by_role("link", name="Next page").click()
    await expect(rows).to_have_count(2)
    await expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    await viewer.shot("page-2")
    await page.get_by_role("link", name="First page").click()
    await expect(rows).to_have_count(25)

    await page.get_by_label("Status").select_option("open")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(other["number"])
    await expect(rows.first.locator("[data-state]").first).to_have_text("open")


async def _has(suite: Suite, order_id: str, **expected: str) -> bool:
    order = await order_state(suite, order_id)
    return all(order.get(key) == value for key, value in expected.items())


async def test_a_quote_is_sent_accepted_and_converted_and_an_administrator_sees_operations(
    suite: Suite, sign_in
):
    customer, sku = await a_customer(suite), await a_product(suite)
    async with suite.client("orders", "sales") as orders:
        response = await orders.post(
            "/quotes",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "lines": [
                    {
                        "sku": sku,
                        "kind": "product",
                        "description": "Console bolt",
                        "quantity": "4",
                        "unit_price": "12.50",
                        "tax_rate": "20",
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text
        quote = response.json()

    sales = await sign_in("sales", "sam")
    page = sales.page
    await page.goto(f"/quotes/{quote['id']}")
    await expect(page.get_by_test_id("gross")).to_have_text("€60.00")
    await page.get_by_role("button", name="Send to the customer").click()
    await expect(page.get_by_role("status")).to_have_text("Quote sent.")
    await expect(page.get_by_test_id("status")).to_have_text("sent")
    await page.get_by_role("button", name="Accepted by the customer").click()
    await expect(page.get_by_test_id("status")).to_have_text("accepted")
    await sales.shot("quote-accepted")
    await page.get_by_role("button", name="Convert into an order").click()
    await expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    await expect(page.get_by_test_id("status")).to_have_text("draft")
    await expect(page.get_by_test_id("gross")).to_have_text("€60.00")
    await sales.shot("order-from-quote")
    await expect(page.get_by_role("link", name="Operations")).to_have_count(0)

    admin = await sign_in("admin", "ada")
    await admin.page.goto("/operations")
    for service in suite.services:
        await expect(admin.page.get_by_test_id(f"service-{service}")).to_be_visible()
        await expect(admin.page.get_by_test_id(f"lag-{service}")).to_be_visible()
    await admin.shot("operations")


async def test_my_orders_delivery_dates_contacts_a_new_quote_and_stock_per_warehouse(
    suite: Suite, sign_in
):
    sku = await a_product(suite, on_hand="3")
    customer = await a_customer(suite)
    async with suite.client("inventory", "purchasing") as inventory:
        response = await inventory.put(
            f"/reorder-points/{sku}", json={"reorder_point": "10", "reorder_quantity": "20"}
        )
        assert response.status_code == 200, response.text
    requested, promised = date.today() + timedelta(days=10), date.today() + timedelta(days=12)
    async with httpx.AsyncClient(
        base_url=suite.url("orders"), timeout=30, headers=bearer("sales", subject="sara")
    ) as orders:
        response = await orders.post(
            "/orders",
            json={
                "customer_id": customer["id"],
                "currency": "EUR",
                "requested_delivery_date": requested.isoformat(),
                "lines": [
                    {
                        "sku": sku,
                        "kind": "product",
                        "description": "Console bolt",
                        "quantity": "1",
                        "unit_price": "12.50",
                        "tax_rate": "20",
                        "promised_delivery_date": promised.isoformat(),
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text
        mine = response.json()
    theirs = await an_order(suite, customer["id"], sku, confirm=False)

    sales = await sign_in("sales", "sara")
    page = sales.page
    await page.get_by_role("link", name="My orders").click()
    await expect(page).to_have_url(re.compile(r"owner=me"))
    await expect(page.get_by_label("Owner")).to_have_value("me")
    table = page.get_by_test_id("orders")
    await expect(table).to_contain_text(mine["number"])
    await expect(table).not_to_contain_text(theirs["number"])
    # The list is read in the summary view: its row still names the customer and the gross.
    row = table.locator("tr", has_text=mine["number"])
    await expect(row).to_contain_text(customer["name"])
    await expect(row).to_contain_text("15.00")
    await sales.shot("my-orders")

    await page.get_by_role("link", name=mine["number"]).click()
    await expect(page.get_by_test_id("delivery-dates")).to_contain_text(
        f"{requested:%b} {requested.day}, {requested.year}"
    )
    await expect(page.get_by_test_id("lines")).to_contain_text(
        f"{promised:%b} {promised.day}, {promised.year}"
    )
    await sales.shot("order-delivery-dates")

    await page.goto(f"/customers/{customer['id']}")
    contacts = page.get_by_test_id("contacts")
    await expect(contacts).to_contain_text("No contacts yet.")
    await page.get_by_label("Name").fill("Jane Buyer")
    await page.get_by_label("Position").fill("Purchasing")
    await page.get_by_label("E-mail").fill("jane@example.com")
    await page.get_by_role("button", name="Add contact").click()
    await expect(page.get_by_role("status")).to_have_text("Contact Jane Buyer added.")
    await expect(contacts.locator("tbody")).to_contain_text("Jane Buyer")
    await expect(contacts.locator("tbody")).to_contain_text("jane@example.com")
    await sales.shot("customer-contacts")

    await page.get_by_role("link", name="Quotes").click()
    await page.get_by_role("link", name="New quote").click()
    await page.get_by_label("Find a customer").fill(customer["name"])
    await page.get_by_role("radio", name=customer["name"]).check()
    await page.get_by_label("Valid until").fill(promised.isoformat())
    await page.get_by_label("Line 1 SKU or name").fill(sku)
    await page.get_by_label("Line 1 SKU or name").press("Tab")
    await expect(page.get_by_test_id("available-0")).to_have_text("3")
    await page.get_by_label("Line 1 quantity").fill("4")
    await page.get_by_label("Line 1 unit price").fill("12.50")
    await page.get_by_label("Line 1 tax rate").fill("20")
    await sales.shot("new-quote")
    await page.get_by_role("button", name="Create quote").click()
    await expect(page).to_have_url(re.compile(r"/quotes/[0-9a-f-]{36}$"))
    await expect(page.get_by_test_id("status")).to_have_text("draft")
    await expect(page.get_by_test_id("gross")).to_have_text("€60.00")
    await sales.shot("quote-created")

    warehouse = await sign_in("warehouse", "walt")
    page = warehouse.page
    await page.goto(f"/products/{sku}")
    per_warehouse = page.get_by_test_id("stock-per-warehouse")
    await expect(per_warehouse.locator("tbody tr")).to_have_count(1)
    await expect(per_warehouse).to_contain_text("MAIN")
    await expect(per_warehouse).to_contain_text("low")
    await warehouse.shot("stock-per-warehouse")
    await page.get_by_role("link", name="All products").click()
    await page.get_by_role("link", name="Low stock").click()
    await page.get_by_label("Warehouse").select_option("MAIN")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"warehouse=MAIN"))
    row = page.get_by_test_id("low-stock").locator("tbody tr", has_text=sku)
    await expect(row).to_contain_text("MAIN")
    await expect(row.locator("td").nth(5)).to_have_text("7")  # 10 - 3 available
    await warehouse.shot("low-stock")
