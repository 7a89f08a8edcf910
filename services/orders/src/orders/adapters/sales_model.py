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

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    true,
    update,
)
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


@dataclass(frozen=True)
class Fold:
    """An event's projection as statements that need no answer, for the statement that books
    the event to run as its `WITH`s (`writes`): one round trip instead of one per table."""

    shape: tuple[Any, ...]  # what `writes` builds the statements from
    parameters: dict[str, Any]  # their values, every name prefixed with `sales_`


def fold_of(event: CloudEvent[Any]) -> Fold | None:
    """The projection of `event` as a `Fold`, if it is one: a milestone, an invoice's revenue
    with its milestone, a shipment's quantities. None: `project` applies it (an intake, whose
    second statement depends on the first's answer; a cancellation; a type not projected)."""
    kind, data = event.type, event.data
    if kind in INTAKE_TYPES:
        return None
    parameters: dict[str, Any] = {}
    shape: list[Any] = []
    if kind in MILESTONES or kind in LATEST:
        shape.append((MILESTONES.get(kind) or LATEST[kind], kind in LATEST))
        parameters |= {"sales_order_id": data.order_id, "sales_at": event.time}
    if kind == EventType.INVOICE_ISSUED.value:
        shape.append("revenue")
        parameters |= _revenue_parameters("invoice", data.invoice_id, data, sign=1)
    elif kind == EventType.SHIPMENT_DISPATCHED.value:
        shape.append("shipped")
        quantities = _shipped_quantities(data)
        parameters |= {
            "sales_shipment_id": data.shipment_id,
            "sales_order_id": data.order_id,
            "sales_skus": list(quantities),
            "sales_quantities": list(quantities.values()),
        }
    return Fold(tuple(shape), parameters) if shape else None


@functools.cache
def writes(shape: tuple[Any, ...], when: ColumnElement[bool] | None = None) -> list[Insert]:
    """The statements of a `Fold`'s shape (built once per shape and condition), each writing
    only if `when` holds (the booking's: the event was booked now)."""
    guard = true() if when is None else when
    statements: list[Insert] = []
    for part in shape:
        if part == "revenue":
            statements.append(_folded_revenue(guard))
        elif part == "shipped":
            statements.append(_folded_shipped(guard))
        else:
            column, latest = part
            statements.append(_folded_milestone(column, guard, latest=latest))
    return statements


async def project(session: AsyncSession, event: CloudEvent[Any]) -> None:
    """Apply one event to the read model (events of other types are ignored)."""
    if (fold := fold_of(event)) is not None:
        for statement in writes(fold.shape):
            await session.execute(statement, fold.parameters)
        return
    kind, data = event.type, event.data
    if kind in INTAKE_TYPES:
        await _intake(session, event, MILESTONES.get(kind))
    if kind == EventType.ORDER_CANCELLED.value:
        await session.execute(
            update(sales_intake)
            .where(sales_intake.c.order_id == data.order_id, _older_than(event.sequence))
            .values(cancelled=True, sequence=event.sequence)
        )
    elif kind == EventType.CREDIT_NOTE_ISSUED.value:
        await _revenue(session, "credit_note", data.credit_note_id, data, sign=-1)
        await _settlement(session, "credit_note", data.credit_note_id, data, -data.applied_amount)
    elif kind == EventType.PAYMENT_RECEIVED.value:
        key = data.allocation_id or data.payment_id
        await _settlement(session, "payment", key, data, -data.amount)
    elif kind == EventType.PAYMENT_REVERSED.value:
        await _settlement(session, "reversal", data.allocation_id, data, data.amount)
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


# The statements below are built once per shape and take their values as parameters: building
# and caching a new statement per event cost more than executing it.
@functools.cache
def _milestone_upsert(column: str, *, latest: bool = False) -> Insert:
    """The milestone's time (`:at`, of order `:order_id`) is the earliest of its events, or the
    latest (PostgreSQL's LEAST and GREATEST skip NULL)."""
    statement = insert(sales_milestones).values(
        order_id=bindparam("order_id"), **{column: bindparam("at")}
    )
    return _keeping_one_time(statement, column, latest=latest)


def _keeping_one_time(statement: Insert, column: str, *, latest: bool) -> Insert:
    """`statement` (an INSERT into the milestones) keeping the earliest time of `column`, or the
    latest."""
    pick = func.greatest if latest else func.least
    return statement.on_conflict_do_update(
        index_elements=[sales_milestones.c.order_id],
        set_={column: pick(sales_milestones.c[column], statement.excluded[column])},
    )


def _folded_milestone(column: str, when: ColumnElement[bool], *, latest: bool) -> Insert:
    """`_milestone_upsert` from `:sales_order_id` and `:sales_at`, if `when` holds."""
    values = select(
        bindparam("sales_order_id", type_=sales_milestones.c.order_id.type),
        bindparam("sales_at", type_=sales_milestones.c[column].type),
    ).where(when)
    statement = insert(sales_milestones).from_select(["order_id", column], values)
    return _keeping_one_time(statement, column, latest=latest)


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


def _shipped_quantities(data: Any) -> dict[str, Decimal]:
    """A shipment's quantities per SKU (a SKU on two of its lines counts once, summed)."""
    quantities: dict[str, Decimal] = {}
    for line in data.lines:
        quantities[line.sku] = quantities.get(line.sku, Decimal(0)) + Decimal(line.quantity)
    return quantities


def _folded_shipped(when: ColumnElement[bool]) -> Insert:
    """A shipment's quantities per SKU, once per shipment (under any event id), if `when`
    holds: from `:sales_shipment_id`, `:sales_order_id` and the arrays `:sales_skus` and
    `:sales_quantities` (one statement whatever the number of SKUs)."""
    column = sales_shipped.c
    per_sku = (
        func.unnest(
            bindparam("sales_skus", type_=ARRAY(column.sku.type)),
            bindparam("sales_quantities", type_=ARRAY(column.quantity.type)),
        )
        .table_valued("sku", "quantity")
        .render_derived()
    )  # AS anon(sku, quantity)
    values = select(
        bindparam("sales_shipment_id", type_=column.shipment_id.type),
        per_sku.c.sku,
        bindparam("sales_order_id", type_=column.order_id.type),
        per_sku.c.quantity,
    ).where(when)
    return (
        insert(sales_shipped)
        .from_select(["shipment_id", "sku", "order_id", "quantity"], values)
        .on_conflict_do_nothing(index_elements=[column.shipment_id, column.sku])
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


_REVENUE_COLUMNS = (
    "kind",
    "document_id",
    "number",
    "order_id",
    "customer_id",
    "currency",
    "issued_on",
    "net",
    "gross",
)


async def _revenue(
    session: AsyncSession, kind: str, document_id: str, data: Any, *, sign: int
) -> None:
    (statement,) = writes(("revenue",))
    await session.execute(statement, _revenue_parameters(kind, document_id, data, sign=sign))


def _revenue_parameters(kind: str, document_id: str, data: Any, *, sign: int) -> dict[str, Any]:
    """The revenue row of an invoice or a credit note, as `sales_<column>` parameters."""
    return {
        "sales_kind": kind,
        "sales_document_id": document_id,
        "sales_number": data.number,
        "sales_order_id": data.order_id,
        "sales_customer_id": data.customer.id,
        "sales_currency": data.currency,
        "sales_issued_on": data.issue_date,
        "sales_net": sign * Decimal(data.totals.net),
        "sales_gross": sign * Decimal(data.totals.gross),
    }


def _folded_revenue(when: ColumnElement[bool]) -> Insert:
    """An invoice's or credit note's revenue, once, from `_revenue_parameters`, if `when`
    holds."""
    values = select(
        *(bindparam(f"sales_{name}", type_=sales_revenue.c[name].type) for name in _REVENUE_COLUMNS)
    ).where(when)
    return (
        insert(sales_revenue)
        .from_select(list(_REVENUE_COLUMNS), values)
        .on_conflict_do_nothing(index_elements=[sales_revenue.c.kind, sales_revenue.c.document_id])
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
