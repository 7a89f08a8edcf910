"""Milestones of an order that people and other systems want to hear of: it became
backordered, fully shipped, overdue or paid. Each is recorded as an event of ours (on
orders.events, on the timeline and so as a webhook type), caused by the fact another service
reported."""

from __future__ import annotations

from typing import Any

from contracts import CloudEvent, EventType
from contracts.events import OrderMilestone
from orders.domain.order import Billing, Fulfilment, Order
from orders.service_layer.events import record_order_event
from orders.service_layer.unit_of_work import UnitOfWork

FULFILMENT_MILESTONES = {
    Fulfilment.BACKORDERED: (EventType.ORDER_BACKORDERED, "Order backordered"),
    Fulfilment.SHIPPED: (EventType.ORDER_SHIPPED, "Order fully shipped"),
}
BILLING_MILESTONES = {
    Billing.PAID: (EventType.ORDER_PAID, "Order paid in full"),
    Billing.OVERDUE: (EventType.ORDER_OVERDUE, "Order overdue"),
}


async def record_milestones(
    uow: UnitOfWork,
    order: Order,
    *,
    fulfilment_before: Fulfilment,
    billing_before: Billing,
    cause: CloudEvent[Any],
) -> None:
    """Record the milestone the order has just reached, if it reached one."""
    reached = []
    if order.fulfilment is not fulfilment_before:
        reached.append(FULFILMENT_MILESTONES.get(order.fulfilment))
    if order.billing is not billing_before:
        reached.append(BILLING_MILESTONES.get(order.billing))
    for milestone in reached:
        if milestone is None:
            continue
        event_type, summary = milestone
        payload = OrderMilestone(
            order_id=order.id,
            number=order.number,
            customer_id=order.customer_id,
            fulfilment=order.fulfilment.value,
            billing=order.billing.value,
            owner=order.owner,
        )
        await record_order_event(
            uow,
            order,
            event_type,
            payload,
            summary=f"{summary}: {order.number}",
            correlation_id=None,
            cause=cause,
        )
