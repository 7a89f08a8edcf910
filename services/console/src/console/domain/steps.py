"""What a quote's or a purchase order's status lets a person do next: the buttons a card shows.

Only a guide for the screens, as in `console.domain.orders`: the services decide, and a step they
refuse comes back as a problem the card shows.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogues (it is translated where it is shown)."""
    return message


@dataclass(frozen=True)
class Step:
    name: str  # the path segment of the service's action
    label: str
    roles: tuple[str, ...]
    statuses: tuple[str, ...]
    danger: bool = False
    needs_reason: bool = False


SALES = ("sales",)
PURCHASING = ("purchasing",)

QUOTE_STEPS = (
    Step("send", N_("Send to the customer"), SALES, ("draft",)),
    Step("accept", N_("Accepted by the customer"), SALES, ("sent",)),
    Step("reject", N_("Rejected by the customer"), SALES, ("sent",), True, True),
    Step("convert", N_("Convert into an order"), SALES, ("accepted",)),
)

PURCHASE_ORDER_STEPS = (
    Step("send", N_("Send to the vendor"), PURCHASING, ("draft",)),
    Step("cancel", N_("Cancel the purchase order"), PURCHASING, ("draft", "sent"), True),
)

RECEIVABLE = ("sent", "partially_received")


def steps_for(steps: tuple[Step, ...], status: str | None, roles: frozenset[str]) -> list[Step]:
    """The steps `status` admits that one of `roles` (or admin) may take."""
    return [
        step
        for step in steps
        if status in step.statuses and ("admin" in roles or roles.intersection(step.roles))
    ]


def step_named(steps: tuple[Step, ...], name: str) -> Step | None:
    return next((step for step in steps if step.name == name), None)
