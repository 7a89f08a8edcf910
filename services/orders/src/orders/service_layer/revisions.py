"""Use cases of changing a confirmed order: revise it, list its revisions.

A revision is recorded as `suite.order.revised.v1` (outbox and timeline, in the transaction of
the change) with the order's content as it is now and what changed, field by field. The
timeline is where revisions are kept: their number is the count of revisions before, taken
under the order's row lock, and the list of revisions is read back from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from contracts import EventType
from contracts.events import FieldChange as FieldChangePayload
from contracts.events import OrderRevised
from orders.domain.content import LineInput, build_lines
from orders.domain.errors import InvalidOrder
from orders.domain.order import Order
from orders.domain.revisions import (
    FieldChange,
    RevisedLine,
    Revision,
    ensure_revisable,
    line_inputs,
    revise,
)
from orders.service_layer.catalogue import price_lines
from orders.service_layer.events import record_order_event, utcnow
from orders.service_layer.orders import customer_of, get_order
from orders.service_layer.snapshots import snapshot
from orders.service_layer.unit_of_work import TimelineEntry, UnitOfWork

REVISED = EventType.ORDER_REVISED.value
SUMMARY_CHANGES = 6  # the changes a timeline summary names before "and N more"


async def revise_confirmed_order(
    uow: UnitOfWork,
    order_id: str,
    header: Mapping[str, Any],
    lines: Sequence[RevisedLine] | None,
    *,
    correlation_id: str | None = None,
) -> Order:
    """Change an open order's lines (quantities, prices, lines added or removed) and dates;
    records order.revised. 409 (IllegalTransition) unless open, or below what has shipped."""
    order = await get_order(uow, order_id, for_update=True)
    ensure_revisable(order)
    built = kept = None
    if lines is not None:
        inputs = line_inputs(order, lines)
        day = header.get("order_date") or order.order_date
        priced = await _price_new_lines(uow, order, lines, inputs, day)
        built = build_lines(priced, currency=order.currency)
        kept = [line.line_no for line in lines]
    changes = revise(order, header, kept, built)
    order.updated_at = utcnow()
    await uow.orders.save(order, lines=built is not None)
    number = len(await _revision_entries(uow, order.id)) + 1
    payload = OrderRevised(
        order=snapshot(order, await customer_of(uow, order)),
        revision=number,
        changes=[
            FieldChangePayload(field=c.field, before=c.before, after=c.after) for c in changes
        ],
    )
    await record_order_event(
        uow,
        order,
        EventType.ORDER_REVISED,
        payload,
        summary=revision_summary(number, changes),
        correlation_id=correlation_id,
    )
    return order


async def _price_new_lines(
    uow: UnitOfWork,
    order: Order,
    lines: Sequence[RevisedLine],
    inputs: Sequence[LineInput],
    day: date,
) -> list[LineInput]:
    """New lines are checked against the catalogue and priced like an order's lines; kept lines
    keep their item as it was ordered (even if it is no longer sold) and their price unless
    one is given."""
    priced = list(inputs)
    for index, given in enumerate(lines):
        if given.line_no is not None:
            continue
        try:
            (priced[index],) = await price_lines(
                uow, [inputs[index]], order.currency, customer_id=order.customer_id, day=day
            )
        except InvalidOrder as exc:  # named for a one-line list: name the revision's line
            field = exc.field.replace("lines.0", f"lines.{index}", 1)
            raise InvalidOrder(field, exc.message) from None
    return priced


async def order_revisions(uow: UnitOfWork, order_id: str) -> list[Revision]:
    """The order's revisions, oldest first (OrderNotFound for an order one may not see)."""
    order = await get_order(uow, order_id)
    return [_revision(entry) for entry in await _revision_entries(uow, order.id)]


async def _revision_entries(uow: UnitOfWork, order_id: str) -> list[TimelineEntry]:
    return [entry for entry in await uow.timeline(order_id) if entry.type == REVISED]


def _revision(entry: TimelineEntry) -> Revision:
    return Revision(
        revision=int(entry.data["revision"]),
        revised_at=entry.occurred_at,
        actor=entry.actor,
        changes=tuple(
            FieldChange(c["field"], c.get("before"), c.get("after"))
            for c in entry.data.get("changes", [])
        ),
    )


def revision_summary(number: int, changes: Sequence[FieldChange]) -> str:
    """`Revision 2: lines.1.quantity 5 → 8, lines.3 added (…)` — at most a few changes."""
    parts = []
    for change in changes[:SUMMARY_CHANGES]:
        if change.before is None:
            parts.append(f"{change.field} added ({change.after})")
        elif change.after is None:
            parts.append(f"{change.field} removed ({change.before})")
        else:
            parts.append(f"{change.field} {change.before} → {change.after}")
    more = len(changes) - SUMMARY_CHANGES
    text = f"Revision {number}: " + "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return text[:500]
