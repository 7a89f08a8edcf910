"""Builders shared by the billing tests: completed orders whose amounts add up (or not)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts import CloudEvent, EventType, new_event
from contracts.common import OrderSnapshot, StockLine
from contracts.events import ShipmentDispatched
from servicekit.testing import order_event

Line = tuple[str, str, str, str, str]  # sku, quantity, unit price, discount %, tax rate %


# Minor digits of the currencies the tests use, stated here rather than asked of `pricing`.
MINOR_DIGITS = {"EUR": 2, "USD": 2, "JPY": 0, "BHD": 3}


def build_order(
    lines: list[Line] | None = None,
    *,
    order_id: str | None = None,
    payment_days: int = 14,
    currency: str = "EUR",
    **overrides: Any,
) -> OrderSnapshot:
    """A completed order's snapshot, its amounts computed independently of the billing code
    (rounded half up to `currency`'s minor unit)."""
    unit = Decimal(1).scaleb(-MINOR_DIGITS[currency])

    def _cent(value: Decimal) -> Decimal:
        return value.quantize(unit, rounding=ROUND_HALF_UP)

    lines = lines or [
        ("BOLT-M8", "10", "2.50", "0", "21"),
        ("NUT-M8", "4", "1.25", "0", "21"),
        ("INSTALL", "1", "80.00", "0", "21"),
    ]  # 110.00 net + 23.10 tax = 133.10
    order_lines: list[dict[str, str | int]] = []
    per_rate: dict[str, tuple[Decimal, Decimal]] = {}
    for no, (sku, quantity, price, discount, rate) in enumerate(lines, start=1):
        net = _cent(Decimal(quantity) * Decimal(price) * (100 - Decimal(discount)) / 100)
        tax = _cent(net * Decimal(rate) / 100)
        base, amount = per_rate.get(rate, (Decimal("0"), Decimal("0")))
        per_rate[rate] = (base + net, amount + tax)
        order_lines.append(
            {
                "line_no": no,
                "sku": sku,
                "kind": "product",
                "description": f"Item {sku}",
                "quantity": quantity,
                "unit_price": price,
                "discount_percent": discount,
                "tax_rate": rate,
                "net_amount": str(net),
                "tax_amount": str(tax),
                "gross_amount": str(net + tax),
            }
        )
    net_total = sum((Decimal(str(line["net_amount"])) for line in order_lines), unit * 0)
    tax_total = sum((Decimal(str(line["tax_amount"])) for line in order_lines), unit * 0)
    order_id = order_id or str(uuid.uuid4())
    data: dict[str, Any] = {
        "order_id": order_id,
        "number": f"SO-{order_id[:8].upper()}",
        "customer": {"id": "cust-1", "name": "Ромашка Trading, S.L.", "email": "ap@example.com"},
        "order_date": date(2025, 3, 1).isoformat(),
        "currency": currency,
        "customer_reference": "PO-4711",
        "opening_text": "Thank you for your order.",
        "closing_text": "Kind regards.",
        "payment_terms": {"days": payment_days, "text": f"Net {payment_days} days"},
        "billing_address": {
            "line1": "Calle Mayor 1",
            "postal_code": "28013",
            "city": "Madrid",
            "country": "ES",
        },
        "lines": order_lines,
        "totals": {
            "net": str(net_total),
            "tax": str(tax_total),
            "gross": str(net_total + tax_total),
            "taxes": [
                {"rate": rate, "base": str(base), "amount": str(amount)}
                for rate, (base, amount) in per_rate.items()
            ],
        },
    }
    data.update(overrides)
    return OrderSnapshot.model_validate(data)


def completed(order: OrderSnapshot) -> CloudEvent[Any]:
    return order_event(EventType.ORDER_COMPLETED, order)


def confirmed(order: OrderSnapshot) -> CloudEvent[Any]:
    return order_event(EventType.ORDER_CONFIRMED, order)


def shipped(order_id: str, shipment_id: str, *lines: tuple[str, str]) -> CloudEvent[Any]:
    """inventory's shipment.dispatched for `(sku, quantity)` lines of the order."""
    payload = ShipmentDispatched(
        order_id=order_id,
        shipment_id=shipment_id,
        lines=[StockLine(sku=sku, quantity=Decimal(quantity)) for sku, quantity in lines],
        fully_shipped=False,
    )
    return new_event(EventType.SHIPMENT_DISPATCHED, payload, source="/inventory", subject=order_id)
