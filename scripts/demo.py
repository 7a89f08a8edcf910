"""Walk one order through its whole life against a running suite, then print its timeline.

Usage: `make demo` (or `uv run python scripts/demo.py`) while `make run` is up. Service URLs come
from ORDERS_URL, INVENTORY_URL, BILLING_URL and DOCUMENTS_URL (defaults: the local stack).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from typing import Any

import httpx

from servicekit.auth import AuthSettings, mint_token

URLS = {
    name: os.environ.get(f"{name.upper()}_URL", f"http://127.0.0.1:{port}")
    for name, port in (
        ("orders", 8001),
        ("inventory", 8002),
        ("billing", 8003),
        ("documents", 8004),
    )
}


class DemoError(RuntimeError):
    pass


def ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise DemoError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text}"
        )
    return response.json()


async def wait_for(client: httpx.AsyncClient, path: str, what: str, **expected: str) -> Any:
    for _ in range(120):
        body = ok(await client.get(path))
        if all(body.get(k) == v for k, v in expected.items()):
            return body
        await asyncio.sleep(0.5)
    raise DemoError(f"timed out waiting for {what} ({expected}); last state: {body}")


async def wait_for_item(client: httpx.AsyncClient, sku: str) -> Any:
    """The item once orders' catalogue view knows it (inventory's events reached orders)."""
    for _ in range(120):
        response = await client.get(f"/items/{sku}")
        if response.status_code == 200:
            return response.json()
        await asyncio.sleep(0.5)
    raise DemoError(f"timed out waiting for orders' catalogue view to know {sku}")


def step(text: str) -> None:
    print(f"\n== {text}")


def headers_for(role: str) -> dict[str, str]:
    """A development token per role (the local stack's shared-secret identity)."""
    settings = AuthSettings()
    if settings.dev_secret is None:
        raise DemoError("AUTH_DEV_SECRET is not set: run `. deploy/local/env.sh` first")
    token = mint_token(
        settings.dev_secret.get_secret_value(),
        subject=f"demo-{role}",
        roles=[role],
        issuer=settings.issuer,
        audience=settings.audience,
    )
    return {"Authorization": f"Bearer {token}"}


async def main() -> int:
    roles = {
        "orders": "sales",
        "inventory": "warehouse",
        "billing": "accounting",
        "documents": "viewer",
    }
    try:
        clients = {
            name: httpx.AsyncClient(base_url=url, timeout=30, headers=headers_for(roles[name]))
            for name, url in URLS.items()
        }
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    orders, inventory, billing, documents = (clients[n] for n in URLS)
    try:
        sku = f"DEMO-{uuid.uuid4().hex[:6].upper()}"
        step(f"Product {sku} with 25 units in stock")
        ok(
            await inventory.put(
                f"/products/{sku}", json={"name": "Cordless drill", "kind": "product"}
            )
        )
        ok(
            await inventory.post(
                "/stock/adjustments",
                json={"sku": sku, "kind": "receipt", "quantity": "25", "reason": "demo delivery"},
            )
        )
        print(ok(await inventory.get(f"/stock/{sku}")))
        item = await wait_for_item(orders, sku)
        print(f"orders' catalogue view: {item['name']}, available {item['availability']}")

        step("Customer")
        customer = ok(
            await orders.post(
                "/customers",
                json={
                    "name": "Ferretería Núñez y Ко",
                    "email": "compras@example.com",
                    "billing_address": {
                        "line1": "Calle Mayor 1",
                        "postal_code": "28013",
                        "city": "Madrid",
                        "country": "ES",
                    },
                },
            )
        )
        print(customer["id"], customer["name"])

        step("Order: 3 drills and an installation service")
        order = ok(
            await orders.post(
                "/orders",
                headers={"Idempotency-Key": str(uuid.uuid4())},
                json={
                    "customer_id": customer["id"],
                    "currency": "EUR",
                    "customer_reference": "PO-7781",
                    "payment_terms": {"days": 30, "text": "Net 30 days"},
                    "opening_text": "Thank you for your order.",
                    "lines": [
                        {
                            "sku": sku,
                            "kind": "product",
                            "description": "Cordless drill 18 V",
                            "quantity": "3",
                            "unit_price": "89.90",
                            "tax_rate": "21",
                        },
                        {
                            "sku": "SETUP",
                            "kind": "service",
                            "description": "Installation and training",
                            "quantity": "1",
                            "unit_price": "120.00",
                            "tax_rate": "21",
                        },
                    ],
                },
            )
        )
        order_path = f"/orders/{order['id']}"
        print(order["number"], "total", order["totals"]["gross"], order["currency"])

        step("Confirm: inventory reserves the drills")
        ok(await orders.post(f"{order_path}/confirm"))
        await wait_for(orders, order_path, "the reservation", fulfilment="reserved")
        print(ok(await inventory.get(f"/stock/{sku}")))

        step("Ship 2 drills, then the last one")
        for quantity in ("2", "1"):
            ok(
                await inventory.post(
                    "/shipments",
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    json={"order_id": order["id"], "lines": [{"sku": sku, "quantity": quantity}]},
                )
            )
        await wait_for(orders, order_path, "the shipments", fulfilment="shipped")

        step("Complete: billing issues the invoice")
        ok(await orders.post(f"{order_path}/complete"))
        await wait_for(orders, order_path, "the invoice", billing="invoiced")
        invoice = ok(await billing.get("/invoices", params={"order_id": order["id"]}))["items"][0]
        print(invoice["number"], "due", invoice["due_date"], "balance", invoice["balance"])

        step("Pay it in two instalments")
        half = f"{float(invoice['balance']) / 2:.2f}"
        rest = f"{float(invoice['balance']) - float(half):.2f}"
        for amount in (half, rest):
            ok(
                await billing.post(
                    f"/invoices/{invoice['id']}/payments",
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    json={"amount": amount},
                )
            )
        await wait_for(orders, order_path, "the payments", billing="paid")

        step("Timeline")
        for _ in range(60):
            final = ok(await orders.get(order_path))
            if len(final["documents"]) >= 2:
                break
            await asyncio.sleep(0.5)
        timeline = ok(await orders.get(f"{order_path}/timeline"))["items"]
        for entry in timeline:
            print(f"{entry['occurred_at'][:19]}  {entry['source']:<11} {entry['summary']}")

        step("Documents")
        found = ok(await documents.get("/documents", params={"order_id": order["id"]}))["items"]
        for document in found:
            print(f"{document['kind']:<19} {URLS['documents']}{document['download_path']}")
        if len(found) < 2:
            raise DemoError("expected an order confirmation and an invoice PDF")
        return 0
    except (DemoError, httpx.HTTPError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for client in clients.values():
            await client.aclose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
