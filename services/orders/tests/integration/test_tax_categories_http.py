"""Order lines without a tax rate take the rate configured for their item's tax category
(ORDERS_TAX_RATES), the category coming with inventory's product events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts import EventType, new_event
from contracts.events import ProductChanged
from servicekit.testing import eventually


@pytest.fixture(scope="module")
def orders_settings() -> dict[str, Any]:
    return {"tax_rates": {"standard": "21", "reduced": "10"}}


async def announce(service: Any, sku: str, category: str) -> None:
    payload = ProductChanged(sku=sku, name=f"Item {sku}", kind="product", tax_category=category)
    event = new_event(EventType.PRODUCT_CHANGED, payload, source="/inventory", subject=sku)
    await service.send("inventory.events", event.model_copy(update={"sequence": 1}), sku)

    async def known() -> bool:
        return (await service.client.get(f"/items/{sku}")).status_code == 200

    await eventually(known, within=20, interval=0.1)


async def test_a_line_without_tax_rate_takes_its_category_rate(orders_service: Any) -> None:
    service = orders_service
    book, gift = f"BOOK-{uuid.uuid4().hex[:6].upper()}", f"GIFT-{uuid.uuid4().hex[:6].upper()}"
    await announce(service, book, "reduced")
    await announce(service, gift, "exempt")
    customer = await service.new_customer("Librería Tax S.L.")

    def line(sku: str, **extra: Any) -> dict[str, Any]:
        return {"sku": sku, "kind": "product", "quantity": "2", "unit_price": "10.00", **extra}

    created = await service.client.post(
        "/orders",
        json={
            "customer_id": customer["id"],
            "currency": "EUR",
            "lines": [line(book), line(book, tax_rate="4")],
        },
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert [ln["tax_rate"] for ln in order["lines"]] == ["10", "4"]  # a given rate wins
    assert order["totals"]["gross"] == "42.80"  # 20 × 1.10 + 20 × 1.04

    refused = await service.client.post(
        "/orders",
        json={"customer_id": customer["id"], "currency": "EUR", "lines": [line(gift)]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.lines.0.tax_rate"
    assert "exempt" in refused.json()["errors"][0]["message"]
