"""The console's unit tests: the app with an in-memory `SuiteApi` in place of the services."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from console.bootstrap import build_app
from console.config import ConsoleSettings
from console.service_layer.ports import Download, Json, Params, ServiceError

DEV_SECRET = "unit-test-development-secret-0123456789abcdef"

# What the orders service's summary view (`view=summary`) keeps of an order.
SUMMARY_FIELDS = (
    "id",
    "number",
    "customer",
    "owner",
    "team",
    "status",
    "fulfilment",
    "billing",
    "stage",
    "currency",
    "order_date",
    "invoiced_total",
    "external_reference",
    "archived",
)


def in_view(orders: list[Json], params: Params) -> list[Json]:
    """`orders` as a list in the view `params` ask for answers them."""
    if params.get("view") != "summary":
        return orders
    summaries = []
    for order in orders:
        summary = {name: order[name] for name in SUMMARY_FIELDS if name in order}
        customer = order.get("customer")
        summary["customer_id"] = customer["id"] if customer else None
        summary["totals"] = {k: order["totals"][k] for k in ("net", "tax", "gross")}
        summaries.append(summary)
    return summaries


def order_doc(status: str = "draft", fulfilment: str = "unreserved", **extra: Any) -> Json:
    order_id = extra.pop("id", str(uuid.uuid4()))
    return {
        "id": order_id,
        "number": extra.pop("number", "SO-2026-00001"),
        "status": status,
        "fulfilment": fulfilment,
        "billing": extra.pop("billing", "not_invoiced"),
        "stage": None,
        "customer": {"id": "c1", "name": "Acme GmbH", "email": "buy@acme.example"},
        "order_date": "2026-12-01",
        "currency": "EUR",
        "customer_reference": None,
        "payment_terms": {"days": 14, "text": None},
        "billing_address": None,
        "shipping_address": None,
        "lines": extra.pop(
            "lines",
            [
                {
                    "line_no": 1,
                    "sku": "WIDGET",
                    "kind": "product",
                    "description": "Widget",
                    "quantity": "3",
                    "unit_price": "10.00",
                    "discount_percent": "0",
                    "tax_rate": "20",
                    "net_amount": "30.00",
                    "tax_amount": "6.00",
                    "gross_amount": "36.00",
                    "shipped_quantity": "1",
                }
            ],
        ),
        "totals": {"net": "30.00", "tax": "6.00", "gross": "36.00", "taxes": []},
        "documents": [],
        **extra,
    }


class FakeSuiteApi:
    """Answers from dicts; records each call as (method, token, arguments)."""

    def __init__(self) -> None:
        self.orders: dict[str, Json] = {}
        self.customers: dict[str, Json] = {
            "c1": {
                "id": "c1",
                "name": "Acme GmbH",
                "email": "buy@acme.example",
                "billing_address": None,
                "shipping_address": None,
                "created_at": "2026-11-30T10:00:00Z",
            },
        }
        self.products: dict[str, Json] = {
            "WIDGET": {"sku": "WIDGET", "name": "Widget", "kind": "product", "description": None},
            "SETUP": {
                "sku": "SETUP",
                "name": "Set-up service",
                "kind": "service",
                "description": None,
            },
        }
        self.stock: dict[str, Json] = {
            "WIDGET": {"sku": "WIDGET", "on_hand": "10", "reserved": "2", "available": "8"}
        }
        self.invoices: dict[str, Json] = {}
        self.documents: dict[str, Json] = {}
        self.timeline: list[Json] = []
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.refuse: dict[str, ServiceError] = {}
        self.next_cursor: str | None = None
        self.saved_filters: dict[str, Json] = {}
        self.stages: list[Json] = []
        # the generic calls: answers and refusals by "<service> <path>"
        self.resources: dict[str, Any] = {}
        self.results: dict[str, Any] = {}

    def _call(self, method: str, token: str, *args: Any) -> None:
        self.calls.append((method, token, args))
        if method in self.refuse:
            raise self.refuse[method]

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, _, args in self.calls if name == method]

    def commands(self) -> list[tuple[str, str, Any]]:
        """(method, "<service> <path>", body) of each command sent."""
        return [
            (args[3], f"{args[0]} {args[1]}", args[2])
            for name, _, args in self.calls
            if name == "command"
        ]

    def _refused(self, key: str) -> None:
        """Refusals of reads are keyed "GET <service> <path>", of commands "<service> <path>"."""
        if key in self.refuse:
            raise self.refuse[key]

    async def read(self, token: str, service: str, path: str, params: Params | None = None) -> Any:
        self._call("read", token, service, path, dict(params or {}))
        self._refused(f"GET {service} {path}")
        key = f"{service} {path}"
        if key in self.resources:
            return self.resources[key]
        if path.endswith(
            ("/notes", "/files", "/deliveries", "/receipts", "/revisions", "/contacts")
        ) or path in (
            "/refunds",
            "/webhooks",
            "/price-lists",
            "/vendors",
            "/purchase-orders",
            "/invoice-drafts",
            "/credit-notes",
            "/warehouses",
            "/transfers",
            "/stock",
        ):
            return [] if path.endswith("/receipts") else {"items": [], "next_cursor": None}
        raise ServiceError(404, "Not Found", f"nothing at {path}")

    async def command(
        self,
        token: str,
        service: str,
        path: str,
        body: Json | None = None,
        *,
        method: str = "POST",
        idempotency_key: str | None = None,
    ) -> Any:
        self._call("command", token, service, path, body, method, idempotency_key)
        self._refused(f"{service} {path}")
        return self.results.get(f"{service} {path}", {})

    async def download(self, token: str, service: str, path: str) -> Download:
        self._call("download", token, service, path)
        self._refused(f"GET {service} {path}")
        return Download(b"file content", "text/plain", "notes.txt")

    async def upload(
        self,
        token: str,
        service: str,
        path: str,
        upload: Download,
        params: Params | None = None,
    ) -> Any:
        self._call("upload", token, service, path, upload, dict(params or {}))
        self._refused(f"{service} {path}")
        return {"id": "f1", "filename": upload.filename}

    async def list_orders(self, token: str, params: Params) -> Json:
        self._call("list_orders", token, dict(params))
        items = [
            o
            for o in self.orders.values()
            if not params.get("status") or o["status"] == params["status"]
        ]
        return {"items": in_view(items, params), "next_cursor": self.next_cursor}

    async def get_order(self, token: str, order_id: str) -> Json:
        self._call("get_order", token, order_id)
        if order_id not in self.orders:
            raise ServiceError(404, "Not Found", f"order {order_id} not found")
        return self.orders[order_id]

    async def create_order(self, token: str, body: Json, idempotency_key: str) -> Json:
        self._call("create_order", token, body, idempotency_key)
        order = order_doc(customer_id=body["customer_id"])
        self.orders[order["id"]] = order
        return order

    async def order_action(self, token: str, order_id: str, action: str, body: Json) -> Json:
        self._call("order_action", token, order_id, action, body)
        return self.orders[order_id]

    async def order_timeline(self, token: str, order_id: str) -> list[Json]:
        self._call("order_timeline", token, order_id)
        return self.timeline

    async def list_customers(self, token: str, params: Params) -> Json:
        self._call("list_customers", token, dict(params))
        q = str(params.get("q") or "").lower()
        return {
            "items": [c for c in self.customers.values() if q in c["name"].lower()],
            "next_cursor": None,
        }

    async def get_customer(self, token: str, customer_id: str) -> Json:
        self._call("get_customer", token, customer_id)
        return self.customers[customer_id]

    async def create_customer(self, token: str, body: Json, idempotency_key: str) -> Json:
        self._call("create_customer", token, body, idempotency_key)
        customer = {
            "id": str(uuid.uuid4()),
            **body,
            "billing_address": None,
            "shipping_address": None,
            "created_at": "2026-12-01T10:00:00Z",
        }
        self.customers[customer["id"]] = customer
        return customer

    async def customer_orders(self, token: str, customer_id: str, params: Params) -> Json:
        self._call("customer_orders", token, customer_id, dict(params))
        return {"items": in_view(list(self.orders.values()), params), "next_cursor": None}

    async def list_quotes(self, token: str, params: Params) -> Json:
        self._call("list_quotes", token, dict(params))
        quote = {
            "id": "q1",
            "number": "QU-1",
            "quote_date": "2026-12-01",
            "valid_until": "2026-12-31",
            "currency": "EUR",
            "status": "sent",
            "customer": self.customers["c1"],
            "orders": [{"id": "o9", "number": "SO-9"}],
            "totals": {"gross": "12.00"},
        }
        return {"items": [quote], "next_cursor": None}

    async def sales_report(self, token: str, params: Params) -> Json:
        self._call("sales_report", token, dict(params))
        return {
            "items": [
                {
                    "key": "2026-11",
                    "label": "2026-11",
                    "currency": "EUR",
                    "orders": 2,
                    "net": "100.00",
                    "gross": "120.00",
                    "average_order_value": "60.00",
                },
                {
                    "key": "2026-12",
                    "label": "2026-12",
                    "currency": "EUR",
                    "orders": 1,
                    "net": "50.00",
                    "gross": "60.00",
                    "average_order_value": "60.00",
                },
                {
                    "key": "2026-12",
                    "label": "2026-12",
                    "currency": "JPY",
                    "orders": 1,
                    "net": "900",
                    "gross": "990",
                    "average_order_value": "990",
                },
            ]
        }

    async def list_stages(self, token: str) -> Json:
        self._call("list_stages", token)
        return {"stages": self.stages}

    async def list_saved_filters(self, token: str) -> Json:
        self._call("list_saved_filters", token)
        return {"items": list(self.saved_filters.values()), "next_cursor": None}

    async def create_saved_filter(self, token: str, body: Json, idempotency_key: str) -> Json:
        self._call("create_saved_filter", token, body, idempotency_key)
        saved = {"id": f"f{len(self.saved_filters) + 1}", **body}
        self.saved_filters[saved["id"]] = saved
        return saved

    async def saved_filter_orders(self, token: str, filter_id: str, params: Params) -> Json:
        self._call("saved_filter_orders", token, filter_id, dict(params))
        return {"items": in_view(list(self.orders.values()), params), "next_cursor": None}

    async def list_products(self, token: str, params: Params) -> Json:
        self._call("list_products", token, dict(params))
        q = str(params.get("q") or "").lower()
        items = [
            p for p in self.products.values() if q in p["sku"].lower() or q in p["name"].lower()
        ]
        return {"items": items, "next_cursor": None}

    async def get_product(self, token: str, sku: str) -> Json | None:
        self._call("get_product", token, sku)
        return self.products.get(sku)

    async def get_stock(self, token: str, sku: str) -> Json | None:
        self._call("get_stock", token, sku)
        return self.stock.get(sku)

    async def create_shipment(self, token: str, body: Json, idempotency_key: str) -> Json:
        self._call("create_shipment", token, body, idempotency_key)
        return {"id": "s1", **body}

    async def list_shipments(self, token: str, params: Params) -> Json:
        self._call("list_shipments", token, dict(params))
        return {
            "items": [
                {
                    "id": "s1",
                    "created_at": "2026-12-01T11:00:00Z",
                    "lines": [{"sku": "WIDGET", "quantity": "1"}],
                }
            ],
            "next_cursor": None,
        }

    async def stock_movements(self, token: str, sku: str, params: Params) -> Json:
        self._call("stock_movements", token, sku, dict(params))
        return {
            "items": [
                {
                    "created_at": "2026-12-01T09:00:00Z",
                    "kind": "receipt",
                    "quantity_change": "10",
                    "on_hand": "10",
                    "available": "10",
                    "reason": "opening stock",
                    "reference": None,
                    "order_id": None,
                }
            ],
            "next_cursor": None,
        }

    async def adjust_stock(self, token: str, body: Json, idempotency_key: str) -> Json:
        self._call("adjust_stock", token, body, idempotency_key)
        return body

    async def list_purchase_orders(self, token: str, params: Params) -> Json:
        self._call("list_purchase_orders", token, dict(params))
        po = {
            "id": "p1",
            "number": "PO-1",
            "vendor_id": "v1",
            "currency": "EUR",
            "status": "partially_received",
            "expected_date": None,
            "total": "99.00",
            "lines": [{"sku": "WIDGET", "quantity": "10", "received": "4"}],
        }
        return {"items": [po], "next_cursor": None}

    async def list_vendors(self, token: str, params: Params) -> Json:
        self._call("list_vendors", token, dict(params))
        return {"items": [{"id": "v1", "name": "Bolts & Co"}], "next_cursor": None}

    async def list_invoices(self, token: str, params: Params) -> Json:
        self._call("list_invoices", token, dict(params))
        return {"items": list(self.invoices.values()), "next_cursor": None}

    async def get_invoice(self, token: str, invoice_id: str) -> Json:
        self._call("get_invoice", token, invoice_id)
        return self.invoices[invoice_id]

    async def record_payment(
        self, token: str, invoice_id: str, body: Json, idempotency_key: str
    ) -> Json:
        self._call("record_payment", token, invoice_id, body, idempotency_key)
        return {"id": "p1", **body}

    async def list_payments(self, token: str, params: Params) -> Json:
        self._call("list_payments", token, dict(params))
        payment = {
            "id": "p1",
            "customer_id": "c1-0000-0000",
            "currency": "EUR",
            "amount": "50.00",
            "received_at": "2026-12-01T10:00:00Z",
            "method": "card",
            "reference": "stmt 7",
            "status": "received",
            "unallocated": "14.00",
            "allocations": [{"invoice_id": "i1", "invoice_number": "INV-1", "amount": "36.00"}],
        }
        return {"items": [payment], "next_cursor": None}

    async def list_receivables(self, token: str, params: Params) -> Json:
        self._call("list_receivables", token, dict(params))
        ageing = {
            "customer_id": "c1",
            "customer_name": "Acme GmbH",
            "currency": "EUR",
            "current": "10.00",
            "days_1_30": "0.00",
            "days_31_60": "5.00",
            "days_61_90": "0.00",
            "days_over_90": "0.00",
            "total": "15.00",
            "invoices": 2,
        }
        return {
            "as_of": "2026-12-01",
            "items": [ageing],
            "totals": [{**ageing, "customer_id": None}],
            "next_cursor": None,
        }

    async def list_documents(self, token: str, params: Params) -> Json:
        self._call("list_documents", token, dict(params))
        return {"items": list(self.documents.values()), "next_cursor": None}

    async def document_content(self, token: str, document_id: str) -> Download:
        self._call("document_content", token, document_id)
        return Download(b"%PDF-1.7 fake", "application/pdf", "INV-1.pdf")

    async def email_document(
        self, token: str, document_id: str, body: Json, idempotency_key: str
    ) -> Json:
        self._call("email_document", token, document_id, body, idempotency_key)
        return {"id": "e1", **body}


@pytest.fixture
def settings() -> ConsoleSettings:
    return ConsoleSettings(dev_secret=DEV_SECRET, allow_dev_secret=True, cookie_secure=False)


@pytest.fixture
def fake_api() -> FakeSuiteApi:
    return FakeSuiteApi()


@pytest.fixture
async def client(
    settings: ConsoleSettings, fake_api: FakeSuiteApi
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings, fake_api)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


SignIn = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def sign_in(client: httpx.AsyncClient) -> SignIn:
    async def sign_in(*roles: str, name: str = "alice") -> httpx.Response:
        page = await client.get("/sign-in")
        response = await client.post(
            "/sign-in/dev",
            data={"csrf_token": csrf_of(page.text), "name": name, "role": list(roles)},
        )
        assert response.status_code == 303, response.text
        return response

    return sign_in
