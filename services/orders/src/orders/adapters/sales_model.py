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
    CTE,
    BigInteger,
    ColumnElement,
    Select,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
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
from servicekit.db import as_arrays, unnested
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
    """The projection of `event` as a `Fold`, if it is one: an intake with its lines and
    milestone, a milestone, an invoice's revenue with its milestone, a shipment's quantities.
    None: `project` applies it (a cancellation, a credit note, a payment, a quote's event, a
    type not projected)."""
    kind, data = event.type, event.data
    parameters: dict[str, Any] = {}
    shape: list[Any] = []
    if kind in INTAKE_TYPES:
        shape.append("intake")
        parameters |= _intake_parameters(event)
    if kind in MILESTONES or kind in LATEST:
        shape.append((MILESTONES.get(kind) or LATEST[kind], kind in LATEST))
        parameters["sales_at"] = event.time
        if "sales_order_id" not in parameters:  # an intake's is its snapshot's
            parameters["sales_order_id"] = data.order_id
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


# An event's number, for the parts that keep it (the intake's): its own, as a parameter.
EVENT_SEQUENCE = bindparam("sales_sequence", type_=BigInteger)


@functools.cache
def writes(
    shape: tuple[Any, ...],
    when: ColumnElement[bool] | None = None,
    sequence: ColumnElement[Any] = EVENT_SEQUENCE,
) -> list[CTE]:
    """The parts of a `Fold`'s shape (built once per shape, condition and number), as the
    `WITH`s of one statement, each writing only if `when` holds (the booking's: the event was
    booked now); `sequence` is the event's number (the booking's own, when the statement
    numbers the event). No part reads a table another part writes (ADR 39)."""
    guard = true() if when is None else when
    parts: list[CTE] = []
    for part in shape:
        if part == "intake":
            parts.extend(_folded_intake(guard, sequence))
        elif part == "revenue":
            parts.append(_folded_revenue(guard).cte("sales_revenue_added"))
        elif part == "shipped":
            parts.append(_folded_shipped(guard).cte("sales_shipped_added"))
        else:
            column, latest = part
            milestone = _folded_milestone(column, guard, latest=latest)
            parts.append(milestone.cte("sales_milestone_reached"))
    return parts


@functools.cache
def _fold_statement(shape: tuple[Any, ...]) -> Select[Any]:
    """A fold's parts as one statement of their own (an event projected outside a booking)."""
    statement: Select[Any] = select(literal_column("true").label("projected"))
    for part in writes(shape):
        statement = statement.add_cte(part)
    return statement


async def _run_fold(session: AsyncSession, fold: Fold) -> None:
    await session.execute(_fold_statement(fold.shape), fold.parameters)


async def project(session: AsyncSession, event: CloudEvent[Any]) -> None:
    """Apply one event to the read model (events of other types are ignored)."""
    if (fold := fold_of(event)) is not None:
        await _run_fold(session, fold)
        return
    kind, data = event.type, event.data
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
def _keeping_one_time(statement: Insert, column: str, *, latest: bool) -> Insert:
    """`statement` (an INSERT into the milestones) keeping the earliest time of `column`, or the
    latest."""
    pick = func.greatest if latest else func.least
    return statement.on_conflict_do_update(
        index_elements=[sales_milestones.c.order_id],
        set_={column: pick(sales_milestones.c[column], statement.excluded[column])},
    )


def _folded_milestone(column: str, when: ColumnElement[bool], *, latest: bool) -> Insert:
    """The milestone's time (`:sales_at`, of order `:sales_order_id`), if `when` holds: the
    earliest of its events, or the latest (PostgreSQL's LEAST and GREATEST skip NULL)."""
    values = select(
        bindparam("sales_order_id", type_=sales_milestones.c.order_id.type),
        bindparam("sales_at", type_=sales_milestones.c[column].type),
    ).where(when)
    statement = insert(sales_milestones).from_select(["order_id", column], values)
    return _keeping_one_time(statement, column, latest=latest)


def _intake_parameters(event: CloudEvent[Any]) -> dict[str, Any]:
    """The intake row and lines of the snapshot an order event carries, as `sales_<column>`
    parameters (the lines as `sales_line_<column>` arrays)."""
    order = event.data.order
    lines = [
        {
            "line_no": line.line_no,
            "sku": line.sku,
            "kind": line.kind.value,
            "description": line.description,
            "quantity": line.quantity,
            "net": line.net_amount,
            "gross": line.gross_amount,
        }
        for line in order.lines
    ]
    return {
        "sales_order_id": order.order_id,
        "sales_number": order.number,
        "sales_customer_id": order.customer.id,
        "sales_currency": order.currency,
        "sales_confirmed_on": order.order_date,
        "sales_net": order.totals.net,
        "sales_gross": order.totals.gross,
        "sales_sequence": event.sequence,
        **as_arrays(lines, _LINE_COLUMNS, "sales_line"),
    }


_INTAKE_COLUMNS = ("number", "customer_id", "currency", "confirmed_on", "net", "gross")
_LINE_COLUMNS = ("line_no", "sku", "kind", "description", "quantity", "net", "gross")


def _folded_intake(when: ColumnElement[bool], sequence: ColumnElement[Any]) -> list[CTE]:
    """The order's intake row from `_intake_parameters`, numbered `sequence`, unless a newer
    snapshot wrote it; if it did write it, the snapshot's lines replace those kept: lines of
    numbers it has are written over, the others deleted (two parts on rows of their own, so
    no row is written twice). Nothing is written unless `when` holds."""
    order_id = bindparam("sales_order_id", type_=sales_intake.c.order_id.type)
    values = select(
        order_id,
        *(bindparam(f"sales_{name}", type_=sales_intake.c[name].type) for name in _INTAKE_COLUMNS),
        sequence,
    ).where(when)
    intake = insert(sales_intake).from_select(["order_id", *_INTAKE_COLUMNS, "sequence"], values)
    applied = (
        intake.on_conflict_do_update(
            index_elements=[sales_intake.c.order_id],
            set_={name: intake.excluded[name] for name in (*_INTAKE_COLUMNS, "sequence")},
            where=_older_than(intake.excluded.sequence),
        )
        .returning(sales_intake.c.order_id)
        .cte("sales_intake_applied")
    )
    taken = exists(applied.select())
    lines = unnested(sales_lines, _LINE_COLUMNS, "sales_line")
    cleared = delete(sales_lines).where(
        sales_lines.c.order_id == order_id,
        sales_lines.c.line_no.not_in(select(lines.c.line_no)),
        taken,
    )
    chosen = select(order_id, *(lines.c[name] for name in _LINE_COLUMNS)).where(taken)
    kept = insert(sales_lines).from_select(["order_id", *_LINE_COLUMNS], chosen)
    kept = kept.on_conflict_do_update(
        index_elements=[sales_lines.c.order_id, sales_lines.c.line_no],
        set_={name: kept.excluded[name] for name in _LINE_COLUMNS if name != "line_no"},
    )
    return [applied, cleared.cte("sales_lines_cleared"), kept.cte("sales_lines_kept")]


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
    revenue = _revenue_parameters(kind, document_id, data, sign=sign)
    await _run_fold(session, Fold(("revenue",), revenue))


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
