"""The sales read model: order intake and revenue net of credit notes, fed by events.

Two tables (adapters/tables.py) hold what the sales figures need, written only from events:

- `sales_intake`, one row per confirmed order: its net and gross as confirmed and then revised
  (`order.confirmed`, `order.revised`), `cancelled` after `order.cancelled`; an order's events
  apply only forwards along its sequence;
- `sales_revenue`, one row per invoice (`invoice.issued`, +) and per credit note
  (`credit_note.issued`, −), keyed by the document, so one fact counts once under any event id;
- `sales_settlements`, one row per fact that changed an invoice's open amount: a payment
  allocated to it (`payment.received`, −), its reversal (`payment.reversed`, +), a credit note
  (− what it took off the invoice), keyed by the allocation or the credit note. An invoice's
  open amount is its gross plus its settlements: a sum, so the order they arrive in does not
  matter;
- `sales_milestones`, one row per order: when it was first confirmed (`order.confirmed`),
  shipped in full (`order.shipped`), invoiced (`invoice.issued`) and paid in full
  (`order.paid`) — the earliest time of each, so again any order of arrival gives the same row —
  and the latest `stock.reservation_failed` (backorder ageing);
- `sales_lines`, the lines of each confirmed order as the snapshot its intake row keeps (replaced
  with it, so forwards only too), and `sales_shipped`, what each shipment
  (`shipment.dispatched`, inventory's) took of each SKU, keyed by shipment and SKU: revenue per
  product and the fill rate;
- `sales_quotes`, one row per sent quote (`quote.sent`: number, customer, currency, dates) with
  when it was accepted, rejected and first converted into an order (`quote.accepted`,
  `quote.rejected`, `quote.converted`): the quote conversion report. Each event writes only its
  own columns, the earliest time of each, so again any order of arrival gives the same row.

Live, `project` runs in the transaction that puts the event on the order's timeline, once per
event id: with the consumer's inbox (billing's events) or with the outbox row (our own), so the
model is exactly-once like every consumer. Because every write is idempotent and only moves
forwards, the same events can be applied again in any interleaving with the live ones:
`rebuild` empties the tables and replays `orders.events` and `billing.events` from their earliest
offsets (and `inventory.events`, for the shipments), while the service keeps running.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import CloudEvent, EventType, parse_event
from contracts.topics import BILLING_EVENTS, INVENTORY_EVENTS, ORDERS_EVENTS
from orders.adapters.tables import (
    sales_intake,
    sales_lines,
    sales_milestones,
    sales_quotes,
    sales_revenue,
    sales_settlements,
    sales_shipped,
)
from servicekit.db import insert_new_rows
from servicekit.dlq import scan_topic
from servicekit.settings import KafkaSettings

log = logging.getLogger(__name__)

INTAKE_TYPES = {EventType.ORDER_CONFIRMED.value, EventType.ORDER_REVISED.value}
MILESTONES = {
    EventType.ORDER_CONFIRMED.value: "confirmed_at",
    EventType.ORDER_SHIPPED.value: "shipped_at",
    EventType.INVOICE_ISSUED.value: "invoiced_at",
    EventType.ORDER_PAID.value: "paid_at",
}
LATEST = {EventType.STOCK_RESERVATION_FAILED.value: "reservation_failed_at"}
QUOTE_OUTCOMES = {
    EventType.QUOTE_ACCEPTED.value: "accepted_at",
    EventType.QUOTE_REJECTED.value: "rejected_at",
    EventType.QUOTE_CONVERTED.value: "converted_at",
}
PROJECTED = {
    *INTAKE_TYPES,
    *MILESTONES,
    *LATEST,
    *QUOTE_OUTCOMES,
    EventType.QUOTE_SENT.value,
    EventType.ORDER_CANCELLED.value,
    EventType.INVOICE_ISSUED.value,
    EventType.CREDIT_NOTE_ISSUED.value,
    EventType.PAYMENT_RECEIVED.value,
    EventType.PAYMENT_REVERSED.value,
    EventType.SHIPMENT_DISPATCHED.value,
}
TOPICS = (ORDERS_EVENTS.name, BILLING_EVENTS.name, INVENTORY_EVENTS.name)


async def project(session: AsyncSession, event: CloudEvent[Any]) -> None:
    """Apply one event to the read model (events of other types are ignored)."""
    kind, data = event.type, event.data
    if kind in INTAKE_TYPES:
        await _intake(session, event, MILESTONES.get(kind))
    elif kind in MILESTONES:
        await _milestone(session, MILESTONES[kind], data.order_id, event)
    elif kind in LATEST:
        await _milestone(session, LATEST[kind], data.order_id, event, latest=True)
    if kind == EventType.ORDER_CANCELLED.value:
        await session.execute(
            update(sales_intake)
            .where(sales_intake.c.order_id == data.order_id, _older_than(event.sequence))
            .values(cancelled=True, sequence=event.sequence)
        )
    elif kind == EventType.INVOICE_ISSUED.value:
        await _revenue(session, "invoice", data.invoice_id, data, sign=1)
    elif kind == EventType.CREDIT_NOTE_ISSUED.value:
        await _revenue(session, "credit_note", data.credit_note_id, data, sign=-1)
        await _settlement(session, "credit_note", data.credit_note_id, data, -data.applied_amount)
    elif kind == EventType.PAYMENT_RECEIVED.value:
        key = data.allocation_id or data.payment_id
        await _settlement(session, "payment", key, data, -data.amount)
    elif kind == EventType.PAYMENT_REVERSED.value:
        await _settlement(session, "reversal", data.allocation_id, data, data.amount)
    elif kind == EventType.SHIPMENT_DISPATCHED.value:
        await _shipped(session, data)
    elif kind == EventType.QUOTE_SENT.value:
        content = data.content
        await _quote(
            session,
            data.quote_id,
            number=data.number,
            customer_id=content.customer.id,
            currency=content.currency,
            quote_date=content.order_date,
            valid_until=data.valid_until,
            sent_at=event.time,
        )
    elif kind in QUOTE_OUTCOMES:
        await _quote(session, data.quote_id, **{QUOTE_OUTCOMES[kind]: event.time})


def _older_than(sequence: Any) -> ColumnElement[bool]:
    """The row was written by an older event of the order (or by one without a number) than
    the one numbered `sequence` (a value or a bound parameter; None: it has no number)."""
    kept = sales_intake.c.sequence
    if sequence is None:
        return kept.is_(None)
    return or_(kept.is_(None), kept < sequence)


async def _milestone(
    session: AsyncSession,
    column: str,
    order_id: str,
    event: CloudEvent[Any],
    *,
    latest: bool = False,
) -> None:
    await session.execute(
        _milestone_upsert(column, latest=latest), {"order_id": order_id, "at": event.time}
    )


# The statements below are built once per shape and take their values as parameters: building
# and caching a new statement per event cost more than executing it.
@functools.cache
def _milestone_upsert(column: str, *, latest: bool = False) -> Insert:
    """The milestone's time (`:at`, of order `:order_id`) is the earliest of its events, or the
    latest (PostgreSQL's LEAST and GREATEST skip NULL)."""
    statement = insert(sales_milestones).values(
        order_id=bindparam("order_id"), **{column: bindparam("at")}
    )
    pick = func.greatest if latest else func.least
    return statement.on_conflict_do_update(
        index_elements=[sales_milestones.c.order_id],
        set_={column: pick(sales_milestones.c[column], statement.excluded[column])},
    )


async def _intake(session: AsyncSession, event: CloudEvent[Any], milestone: str | None) -> None:
    """The order's intake row, if this snapshot is newer than the one kept, with its lines;
    and its `milestone` (when confirmed). One statement writes the row, the milestone and
    clears the kept lines (they are another snapshot's), one more inserts the new lines."""
    order = event.data.order
    parameters = {
        "order_id": order.order_id,
        "number": order.number,
        "customer_id": order.customer.id,
        "currency": order.currency,
        "confirmed_on": order.order_date,
        "net": order.totals.net,
        "gross": order.totals.gross,
        "sequence": event.sequence,
        "at": event.time,
    }
    statement = _intake_upsert(milestone, numbered=event.sequence is not None)
    if not (await session.execute(statement, parameters)).one().applied:
        return  # an older snapshot than the one kept: its lines are older too
    await session.execute(
        insert(sales_lines),
        [
            {
                "order_id": order.order_id,
                "line_no": line.line_no,
                "sku": line.sku,
                "kind": line.kind.value,
                "description": line.description,
                "quantity": line.quantity,
                "net": line.net_amount,
                "gross": line.gross_amount,
            }
            for line in order.lines
        ],
    )


_INTAKE_COLUMNS = ("number", "customer_id", "currency", "confirmed_on", "net", "gross", "sequence")


@functools.cache
def _intake_upsert(milestone: str | None, *, numbered: bool) -> Select[Any]:
    """Write the intake row of `:order_id` unless a newer snapshot wrote it (`applied`), clear
    its kept lines if so, and reach `milestone` at `:at` when one is given: one statement."""
    statement = insert(sales_intake).values(
        order_id=bindparam("order_id"), **{name: bindparam(name) for name in _INTAKE_COLUMNS}
    )
    applied = (
        statement.on_conflict_do_update(
            index_elements=[sales_intake.c.order_id],
            set_={name: statement.excluded[name] for name in _INTAKE_COLUMNS},
            where=_older_than(bindparam("sequence") if numbered else None),
        )
        .returning(sales_intake.c.order_id)
        .cte("applied")
    )
    cleared = (
        delete(sales_lines)
        .where(sales_lines.c.order_id == bindparam("order_id"), exists(applied.select()))
        .returning(sales_lines.c.order_id)
        .cte("cleared")
    )
    outcome = [
        exists(applied.select()).label("applied"),
        select(func.count()).select_from(cleared).scalar_subquery().label("cleared"),
    ]
    if milestone is not None:
        reached = _milestone_upsert(milestone).returning(sales_milestones.c.order_id).cte("reached")
        outcome.append(exists(reached.select()).label("reached"))
    return select(*outcome)


async def _shipped(session: AsyncSession, data: Any) -> None:
    """A shipment's quantities per SKU, once per shipment (under any event id)."""
    quantities: dict[str, Decimal] = {}
    for line in data.lines:
        quantities[line.sku] = quantities.get(line.sku, Decimal(0)) + Decimal(line.quantity)
    await insert_new_rows(
        session,
        sales_shipped,
        [
            {"shipment_id": data.shipment_id, "sku": sku, "order_id": data.order_id, "quantity": q}
            for sku, q in quantities.items()
        ],
        conflict_columns=("shipment_id", "sku"),
    )


async def _quote(session: AsyncSession, quote_id: str, **values: Any) -> None:
    """A quote's facts: each event sets only its own columns; times keep the earliest (a quote
    converted into two orders was converted when the first was made)."""
    statement = insert(sales_quotes).values(quote_id=quote_id, **values)
    column = sales_quotes.c
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[column.quote_id],
            set_={
                name: func.least(column[name], statement.excluded[name])
                if name.endswith("_at")
                else statement.excluded[name]
                for name in values
            },
        )
    )


# An invoice's or credit note's revenue, once (the values as parameters): built once.
_ADD_REVENUE = insert(sales_revenue).on_conflict_do_nothing(
    index_elements=[sales_revenue.c.kind, sales_revenue.c.document_id]
)


async def _revenue(
    session: AsyncSession, kind: str, document_id: str, data: Any, *, sign: int
) -> None:
    await session.execute(
        _ADD_REVENUE,
        {
            "kind": kind,
            "document_id": document_id,
            "number": data.number,
            "order_id": data.order_id,
            "customer_id": data.customer.id,
            "currency": data.currency,
            "issued_on": data.issue_date,
            "net": sign * Decimal(data.totals.net),
            "gross": sign * Decimal(data.totals.gross),
        },
    )


async def _settlement(
    session: AsyncSession, kind: str, key: str, data: Any, amount: Decimal
) -> None:
    await session.execute(
        insert(sales_settlements)
        .values(
            kind=kind,
            key=key,
            invoice_id=data.invoice_id,
            order_id=data.order_id,
            currency=data.currency,
            amount=Decimal(amount),
        )
        .on_conflict_do_nothing(
            index_elements=[
                sales_settlements.c.kind,
                sales_settlements.c.invoice_id,
                sales_settlements.c.key,
            ]
        )
    )


@dataclass(frozen=True)
class Rebuilt:
    records: int  # read from the topics
    applied: int  # of the projected types
    unreadable: int  # not an event of the suite (the consumers dead-letter those)


async def reset(session: AsyncSession) -> None:
    """Empty the read model."""
    await session.execute(delete(sales_intake))
    await session.execute(delete(sales_revenue))
    await session.execute(delete(sales_settlements))
    await session.execute(delete(sales_milestones))
    await session.execute(delete(sales_lines))
    await session.execute(delete(sales_shipped))
    await session.execute(delete(sales_quotes))


async def rebuild(
    sessionmaker: async_sessionmaker[AsyncSession],
    kafka: KafkaSettings,
    *,
    wait_seconds: float = 300.0,
) -> Rebuilt:
    """Empty the read model and apply every event the topics still hold, from their earliest
    offsets up to their ends as they were when the reading started.

    The topics are read without a consumer group (partitions assigned, nothing committed): the
    service's own consumers and their offsets are left alone, and it may keep running. Raises
    RuntimeError when a topic could not be read to its end within `wait_seconds`.
    """
    async with sessionmaker() as session, session.begin():
        await reset(session)
    records = applied = unreadable = 0
    for topic in TOPICS:
        scan = await scan_topic(kafka, kafka.topic(topic), wait_seconds=wait_seconds)
        if scan.shortfall():
            raise RuntimeError(f"{topic} not read to its end: {'; '.join(scan.shortfall())}")
        events = []
        for record in scan.records:
            records += 1
            try:
                event = parse_event(record.value)
            except ValueError:
                unreadable += 1
                continue
            if event.type in PROJECTED:
                events.append(event)
        await _apply_all(sessionmaker, events)
        applied += len(events)
        log.info("sales read model: %d events of %s applied", len(events), topic)
    return Rebuilt(records, applied, unreadable)


async def _apply_all(
    sessionmaker: async_sessionmaker[AsyncSession],
    events: Sequence[CloudEvent[Any]],
    batch: int = 500,
) -> None:
    for start in range(0, len(events), batch):
        async with sessionmaker() as session, session.begin():
            for event in events[start : start + batch]:
                await project(session, event)
