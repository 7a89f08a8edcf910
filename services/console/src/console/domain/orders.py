"""What an order's state allows a person to do next, and how its states are labelled.

Only a guide for the screens: the orders, inventory and billing services decide, and an action
they refuse comes back as a problem the card shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

STATUSES = ("draft", "open", "concluded", "cancelled")
FULFILMENTS = ("unreserved", "reserving", "reserved", "backordered", "partially_shipped", "shipped")
BILLINGS = ("not_invoiced", "invoiced", "partially_paid", "paid", "credited")
SORTS = ("created_at", "order_date", "number", "gross")

# badge tone per state value: neutral, progress, good, warning, bad
TONES: dict[str, str] = {
    "draft": "neutral",
    "open": "progress",
    "concluded": "good",
    "cancelled": "bad",
    "unreserved": "neutral",
    "reserving": "progress",
    "reserved": "good",
    "backordered": "warning",
    "partially_shipped": "progress",
    "shipped": "good",
    "not_invoiced": "neutral",
    "invoiced": "progress",
    "issued": "progress",
    "partially_paid": "warning",
    "paid": "good",
    "overdue": "bad",
    "credited": "neutral",
    "sent": "progress",
    "accepted": "good",
    "rejected": "bad",
    "expired": "neutral",
    "partially_received": "progress",
    "received": "good",
}

SHIPPED_OR_SHIPPING = ("partially_shipped", "shipped")


@dataclass(frozen=True)
class Action:
    name: str  # the path segment: /orders/{id}/{name}
    label: str
    roles: tuple[str, ...]
    needs_reason: bool = False


CONFIRM = Action("confirm", "Confirm", ("sales",))
CANCEL = Action("cancel", "Cancel order", ("sales",), needs_reason=True)
SHIP = Action("ship", "Ship what is left", ("warehouse",))
COMPLETE = Action("complete", "Complete", ("sales",))
# Cancel the unshipped rest of a partially shipped order: it completes with what shipped.
CLOSE_SHORT = Action("close-short", "Close short", ("sales",), needs_reason=True)


def tone(value: str | None) -> str:
    return TONES.get(value or "", "neutral")


def label(value: str | None) -> str:
    return (value or "—").replace("_", " ")


def available_actions(order: Mapping[str, Any]) -> list[Action]:
    """The transitions the order's state admits (before looking at who asks)."""
    status, fulfilment = order.get("status"), order.get("fulfilment")
    actions: list[Action] = []
    if status == "draft":
        actions.append(CONFIRM)
    if status == "open" and fulfilment in ("reserved", "partially_shipped") and remaining(order):
        actions.append(SHIP)
    if status == "open" and (fulfilment == "shipped" or not has_products(order)):
        actions.append(COMPLETE)
    if status in ("draft", "open") and fulfilment not in SHIPPED_OR_SHIPPING:
        actions.append(CANCEL)
    if status == "open" and fulfilment == "partially_shipped" and not order.get("closed_short_at"):
        actions.append(CLOSE_SHORT)
    return actions


def actions_for(order: Mapping[str, Any], roles: frozenset[str]) -> list[Action]:
    """The transitions the state admits that one of `roles` (or admin) may ask for."""
    return [
        action
        for action in available_actions(order)
        if "admin" in roles or roles.intersection(action.roles)
    ]


def has_products(order: Mapping[str, Any]) -> bool:
    return any(line.get("kind") == "product" for line in order.get("lines", []))


def remaining(order: Mapping[str, Any]) -> list[dict[str, str]]:
    """What is left to ship: each product line's ordered minus shipped quantity, per SKU."""
    left: dict[str, Decimal] = {}
    for line in order.get("lines", []):
        if line.get("kind") != "product":
            continue
        rest = Decimal(str(line["quantity"])) - Decimal(str(line.get("shipped_quantity", "0")))
        if rest > 0:
            left[line["sku"]] = left.get(line["sku"], Decimal(0)) + rest
    return [{"sku": sku, "quantity": str(quantity)} for sku, quantity in left.items()]


def is_settled(order: Mapping[str, Any]) -> bool:
    """Nothing more will happen to the order by itself: the live view may stop polling."""
    status, billing = order.get("status"), order.get("billing")
    return status == "cancelled" or (status == "concluded" and billing in ("paid", "credited"))
