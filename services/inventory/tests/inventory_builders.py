"""Test data the inventory tests share: orders confirmed and cancelled as orders publishes them,
products with stock, receipts, and what the unit of work holds and recorded."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from contracts import CloudEvent, EventType
from contracts.common import ItemKind as LineKind
from contracts.common import OrderSnapshot
from contracts.events import OrderCancelled
from inventory.domain.commands import AdjustStock, UpsertProduct
from inventory.domain.model import AdjustmentKind, ItemKind
from inventory.service_layer import catalogue, stock
from servicekit.testing import from_orders, order_event

D = Decimal


def confirmation(*lines: tuple[str, str], services: tuple[str, ...] = ()) -> CloudEvent[Any]:
    """suite.order.confirmed.v1 of a new order: (sku, quantity) product lines, then services."""
    order_id = str(uuid.uuid4())
    kinds = [(sku, LineKind.PRODUCT, q) for sku, q in lines]
    kinds += [(sku, LineKind.SERVICE, "1") for sku in services]
    one, zero = {"net": "1", "tax": "0", "gross": "1"}, "0"
    order = OrderSnapshot.model_validate(
        {
            "order_id": order_id,
            "number": f"SO-{order_id[:4]}",
            "customer": {"id": "c", "name": "Customer"},
            "order_date": "2026-03-01",
            "currency": "EUR",
            "payment_terms": {},
            "totals": one,
            "lines": [
                {"line_no": n, "sku": sku, "kind": kind, "description": sku, "quantity": q}
                | {"unit_price": "1", "tax_rate": zero, "net_amount": "1"}
                | {"tax_amount": zero, "gross_amount": "1"}
                for n, (sku, kind, q) in enumerate(kinds, start=1)
            ],
        }
    )
    return order_event(EventType.ORDER_CONFIRMED, order)


def cancellation(confirmed: CloudEvent[Any]) -> CloudEvent[Any]:
    order_id = str(confirmed.subject)
    payload = OrderCancelled(
        order_id=order_id, number=f"SO-{order_id[:4]}", reason="customer", previous_status="open"
    )
    return from_orders(EventType.ORDER_CANCELLED, payload, order_id)


async def product(
    uow: Any, sku: str, on_hand: str = "0", kind: ItemKind = ItemKind.PRODUCT
) -> None:
    await catalogue.upsert_product(uow, UpsertProduct(sku=sku, name=sku, kind=kind))
    if D(on_hand) > 0:
        await stock.adjust_stock(uow, receipt(sku, on_hand))


def receipt(sku: str, quantity: str) -> AdjustStock:
    return AdjustStock(sku=sku, kind=AdjustmentKind.RECEIPT, quantity=D(quantity), reason="in")


async def level(uow: Any, sku: str) -> tuple[Decimal, Decimal]:
    found = await stock.get_stock(uow, sku)
    return found.on_hand, found.reserved


def types(uow: Any, subject: str | None = None) -> list[str]:
    return [e.type for e in uow.events if subject is None or e.subject == subject]
