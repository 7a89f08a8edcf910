"""Reading the timeline: every event about an order (or a quote), from every service."""

from __future__ import annotations

from orders.service_layer.customers import find_customer
from orders.service_layer.orders import get_order
from orders.service_layer.quotes import get_quote
from orders.service_layer.unit_of_work import TimelineEntry, UnitOfWork


async def order_timeline(uow: UnitOfWork, order_id: str) -> list[TimelineEntry]:
    """The order's timeline, oldest first (OrderNotFound for an unknown order)."""
    order = await get_order(uow, order_id)
    return await uow.timeline(order.id)


async def quote_timeline(uow: UnitOfWork, quote_id: str) -> list[TimelineEntry]:
    """The quote's timeline, oldest first (QuoteNotFound for an unknown quote)."""
    quote = await get_quote(uow, quote_id)
    return await uow.timeline(quote_id=quote.id)


async def customer_timeline(uow: UnitOfWork, customer_id: str) -> list[TimelineEntry]:
    """The customer's own timeline (reassignments, notes), oldest first."""
    customer = await find_customer(uow, customer_id)
    return await uow.timeline(customer_id=customer.id)
