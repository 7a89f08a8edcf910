"""Use cases of quotes: create, revise, send (quote.sent), accept (quote.accepted), reject
(quote.rejected), convert to orders (quote.converted).

Sending and the quote's outcome are events on the bus (documents renders the sent quote; the
sales read model counts them for the quote conversion report); creating a draft is a fact this
service records on the quote's timeline only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from contracts import EventType, new_event
from contracts.events import QuoteAccepted, QuoteConverted, QuoteRejected, QuoteSent
from orders.domain.content import (
    LineInput,
    build_lines,
    check_delivery_dates,
    content_of,
    line_inputs_of,
)
from orders.domain.errors import InvalidOrder
from orders.domain.numbering import format_quote_number
from orders.domain.order import Order
from orders.domain.quote import OrderRef, Quote
from orders.service_layer.catalogue import price_lines
from orders.service_layer.content import NewContent, resolve_changes, resolve_content
from orders.service_layer.customers import get_customer
from orders.service_layer.events import SOURCE, utcnow
from orders.service_layer.orders import announce_order, created_summary, new_order
from orders.service_layer.ownership import default_owner, visible
from orders.service_layer.snapshots import quote_snapshot
from orders.service_layer.unit_of_work import UnitOfWork

DEFAULT_VALIDITY = timedelta(days=30)


class QuoteNotFound(LookupError):
    def __init__(self, quote_id: str) -> None:
        self.quote_id = quote_id
        super().__init__(f"no quote {quote_id}")


@dataclass(frozen=True)
class NewQuote(NewContent):
    quote_date: date | None = None
    valid_until: date | None = None  # default: 30 days after the quote date


def today() -> date:
    return utcnow().date()


async def get_quote(uow: UnitOfWork, quote_id: str, *, for_update: bool = False) -> Quote:
    quote = visible(await uow.quotes.get(quote_id, for_update=for_update))
    if quote is None:
        raise QuoteNotFound(quote_id)
    return quote


async def create_quote(uow: UnitOfWork, new: NewQuote) -> Quote:
    """A draft quote with the next quote number of the year."""
    resolved = await resolve_content(uow, new)
    now = utcnow()
    quote_date = new.quote_date or now.date()
    lines = build_lines(
        await price_lines(
            uow, new.lines, new.currency, customer_id=resolved.customer.id, day=quote_date
        ),
        currency=new.currency,
    )
    check_delivery_dates(quote_date, {}, lines)
    try:
        valid_until = new.valid_until or quote_date + DEFAULT_VALIDITY
    except OverflowError:
        raise InvalidOrder("valid_until", "give a validity date for so late a quote") from None
    owner, team = default_owner()
    quote = Quote(
        id=str(uuid.uuid4()),
        number=format_quote_number(now.year, await uow.next_quote_sequence(now.year)),
        quote_date=quote_date,
        valid_until=valid_until,
        lines=lines,
        created_at=now,
        updated_at=now,
        owner=owner,
        team=team,
        **resolved.fields(new),
    )
    await uow.quotes.add(quote)
    await uow.note(
        "orders.quote.created",
        summary=(
            f"Quote {quote.number} created: {len(lines)} line(s), "
            f"{quote.totals.gross} {quote.currency}, valid until {quote.valid_until}"
        ),
        data={"quote_id": quote.id, "number": quote.number},
        quote_id=quote.id,
    )
    return quote


async def revise_quote(
    uow: UnitOfWork,
    quote_id: str,
    changes: Mapping[str, Any],
    lines: Sequence[LineInput] | None,
) -> Quote:
    """Change a draft quote (its content, dates and, if given, all its lines)."""
    quote = await get_quote(uow, quote_id, for_update=True)
    quote.ensure_editable(today())
    resolved = await resolve_changes(uow, quote.customer_id, changes)
    if lines is not None:
        lines = await price_lines(
            uow,
            lines,
            changes.get("currency") or quote.currency,
            customer_id=changes.get("customer_id") or quote.customer_id,
            day=changes.get("quote_date") or quote.quote_date,
        )
    quote.revise(resolved, lines, today())
    quote.updated_at = utcnow()
    await uow.quotes.save(quote, lines=lines is not None)
    return quote


async def send_quote(uow: UnitOfWork, quote_id: str, *, correlation_id: str | None = None) -> Quote:
    """draft → sent; records quote.sent (documents renders the quote's PDF)."""
    quote = await get_quote(uow, quote_id, for_update=True)
    now = utcnow()
    quote.send(now.date(), now)
    quote.updated_at = now
    await uow.quotes.save(quote)
    customer = await get_customer(uow, quote.customer_id)
    event = new_event(
        EventType.QUOTE_SENT,
        QuoteSent(
            quote_id=quote.id,
            number=quote.number,
            valid_until=quote.valid_until,
            content=quote_snapshot(quote, customer),
        ),
        source=SOURCE,
        subject=quote.id,
        correlation_id=correlation_id,
    )
    await uow.record(
        event,
        summary=f"Quote sent to {customer.name}, valid until {quote.valid_until}",
        quote_id=quote.id,
    )
    return quote


async def _record(
    uow: UnitOfWork,
    type: EventType,
    payload: QuoteAccepted | QuoteRejected | QuoteConverted,
    quote: Quote,
    *,
    summary: str,
    correlation_id: str | None,
) -> None:
    """The quote's outcome, through the outbox in the transaction that changed the quote, and
    on its timeline."""
    event = new_event(type, payload, source=SOURCE, subject=quote.id, correlation_id=correlation_id)
    await uow.record(event, summary=summary, quote_id=quote.id)


async def accept_quote(
    uow: UnitOfWork, quote_id: str, *, correlation_id: str | None = None
) -> Quote:
    """sent → accepted (not once expired)."""
    quote = await get_quote(uow, quote_id, for_update=True)
    now = utcnow()
    quote.accept(now.date(), now)
    quote.updated_at = now
    await uow.quotes.save(quote)
    await _record(
        uow,
        EventType.QUOTE_ACCEPTED,
        QuoteAccepted(quote_id=quote.id, number=quote.number),
        quote,
        summary="Quote accepted",
        correlation_id=correlation_id,
    )
    return quote


async def reject_quote(
    uow: UnitOfWork, quote_id: str, reason: str | None, *, correlation_id: str | None = None
) -> Quote:
    """sent → rejected (not once expired)."""
    quote = await get_quote(uow, quote_id, for_update=True)
    now = utcnow()
    quote.reject(now.date(), now, reason)
    quote.updated_at = now
    await uow.quotes.save(quote)
    await _record(
        uow,
        EventType.QUOTE_REJECTED,
        QuoteRejected(quote_id=quote.id, number=quote.number, reason=reason),
        quote,
        summary="Quote rejected" + (f": {reason}" if reason else ""),
        correlation_id=correlation_id,
    )
    return quote


async def convert_quote(
    uow: UnitOfWork, quote_id: str, *, correlation_id: str | None = None
) -> tuple[Quote, Order]:
    """An accepted quote → a new draft order with all its content (still editable).

    Records order.created; the quote lists the order and the order names the quote.
    """
    quote = await get_quote(uow, quote_id, for_update=True)
    quote.ensure_convertible(today())
    customer = await get_customer(uow, quote.customer_id)
    order = await new_order(
        uow,
        content_of(quote),
        lines=build_lines(line_inputs_of(quote.lines), currency=quote.currency),
        quote_id=quote.id,
    )
    await announce_order(
        uow,
        order,
        customer,
        f"{created_summary(order)}, from quote {quote.number}",
        correlation_id=correlation_id,
        add=True,  # stored with its event
    )
    quote.add_order(OrderRef(order.id, order.number))
    quote.updated_at = utcnow()
    await uow.quotes.save(quote)
    await _record(
        uow,
        EventType.QUOTE_CONVERTED,
        QuoteConverted(
            quote_id=quote.id, number=quote.number, order_id=order.id, order_number=order.number
        ),
        quote,
        summary=f"Converted to order {order.number}",
        correlation_id=correlation_id,
    )
    return quote, order
