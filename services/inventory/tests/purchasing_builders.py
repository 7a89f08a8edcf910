"""Events the purchasing tests feed the inventory: a confirmed order of one product line."""

from __future__ import annotations

from typing import Any

from contracts import CloudEvent, EventType
from contracts.common import OrderSnapshot
from servicekit.testing import order_event


def confirmed(order_id: str, sku: str, quantity: str) -> CloudEvent[Any]:
    """suite.order.confirmed.v1 of an order asking `quantity` of the product `sku`."""
    line = {"line_no": 1, "sku": sku, "kind": "product", "description": sku}
    amounts = {"unit_price": "1", "tax_rate": "0", "net_amount": "1", "tax_amount": "0"}
    snapshot = OrderSnapshot.model_validate(
        {
            "order_id": order_id,
            "number": f"SO-{order_id[:8]}",
            "customer": {"id": "c", "name": "Customer"},
            "order_date": "2026-12-01",
            "currency": "EUR",
            "payment_terms": {},
            "totals": {"net": "1", "tax": "0", "gross": "1"},
            "lines": [line | amounts | {"quantity": quantity, "gross_amount": "1"}],
        }
    )
    return order_event(EventType.ORDER_CONFIRMED, snapshot)
