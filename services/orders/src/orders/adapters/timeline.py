"""The per-order (and per-quote) timeline on PostgreSQL: events of every service, and facts
only this service knows."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters import sales_model
from orders.adapters.orders import (
    AddShape,
    SaveShape,
    SqlOrderRepository,
    add_parts,
    save_parts,
)
from orders.adapters.tables import order_timeline
from orders.adapters.webhooks import (
    deliveries_of,
    delivery_parameters,
    wake_dispatcher,
    wants_deliveries,
)
from orders.domain.order import Order
from orders.service_layer.events import SOURCE
from orders.service_layer.unit_of_work import TimelineEntry
from servicekit.auth import current_actor
from servicekit.db import json_column_text
from servicekit.direct import execute_one_later
from servicekit.mapping import copied
from servicekit.observability import ORDER_STAGE_SECONDS, pipeline_stage_of
from servicekit.outbox import (
    event_numbering,
    numbered_outbox_insert,
    numbered_payload,
    outbox_insert,
    wake_relay_after_commit,
)


@functools.cache
def _booking(
    *,
    deliveries: bool,
    stage: bool,
    saving: SaveShape | None = None,
    adding: AddShape | None = None,
    outbox: Table | None = None,
    numbered_by: Table | None = None,
    projection: tuple[Any, ...] | None = None,
) -> Select[Any]:
    """The one statement that books a received event (built once per shape): the timeline row
    (its id, None when the event id is booked already); if `deliveries`, its webhook deliveries
    once booked (`delivered`: any written); if `stage`, when the order's last `started_by` event
    occurred (`started`); if `saving` (an `OrderSave`'s shape), the order saved but for its
    lines, booked or not, as `save` would; if `adding` (an `OrderAdd`'s shape), a new order
    written with its children, as `add` would (its foreign keys are checked at the statement's
    end); if `outbox`, the event recorded in it (`outbox_row`'s
    parameters), booked or not; if `numbered_by` (the event counters) as well, the event
    numbered by the statement (`numbered_outbox_row`'s parameters; `sequence`), on the
    timeline, in the outbox and in its deliveries alike; if `projection` (a
    `sales_model.Fold`'s shape), the event projected on the sales model once booked (the fold's
    parameters)."""
    values: dict[str, Any] = {
        column.name: bindparam(column.name, type_=column.type)
        for column in order_timeline.c
        if column.name in _BOOKED
    }
    numbering = None if numbered_by is None else event_numbering(numbered_by)
    if numbering is not None:
        values["sequence"] = select(numbering.c["last"]).scalar_subquery()
    booked = (
        insert(order_timeline)
        .values(values)
        .on_conflict_do_nothing(index_elements=[order_timeline.c.event_id])
        .returning(order_timeline.c.id)
        .cte("booked")
    )
    columns: list[Any] = [select(booked.c.id).scalar_subquery().label("id")]
    if numbering is not None:
        columns.append(select(numbering.c["last"]).scalar_subquery().label("sequence"))
    if deliveries:
        # A subquery, so the deliveries' SELECT reads the subscriptions alone (no cross join).
        payload = (
            None
            if numbering is None
            else select(numbered_payload("delivery_payload", numbering)).scalar_subquery()
        )
        delivered = deliveries_of(when=exists(booked.select()), payload=payload).cte("delivered")
        columns.append(exists(delivered.select()).label("delivered"))
    if stage:
        started = select(func.max(order_timeline.c.occurred_at)).where(
            order_timeline.c.order_id == bindparam("order_id"),
            order_timeline.c.type == bindparam("started_by"),
        )
        columns.append(started.scalar_subquery().label("started"))
    booking = select(*columns)
    if saving is not None:
        # Run whether or not the query reads them, as every data-modifying WITH; the order's
        # row is locked by this transaction already (it was read for update).
        for name, part in save_parts(saving).items():
            booking = booking.add_cte(part.cte(name))
    if adding is not None:
        for name, part in add_parts(adding).items():
            booking = booking.add_cte(part.cte(name))
    if projection is not None:
        # The sales tables are written by nothing else in the statement, and read by none of
        # its other parts: every part sees the statement's snapshot (ADR 39).
        sequence = (
            sales_model.EVENT_SEQUENCE
            if numbering is None
            else select(numbering.c["last"]).scalar_subquery()
        )
        for projected in sales_model.writes(projection, exists(booked.select()), sequence):
            booking = booking.add_cte(projected)
    if outbox is not None:
        insert_row = (
            outbox_insert(outbox)
            if numbered_by is None
            else numbered_outbox_insert(outbox, numbered_by)
        )
        booking = booking.add_cte(insert_row.cte("recorded"))
    return booking


_BOOKED = frozenset(
    (
        "order_id",
        "quote_id",
        "event_id",
        "type",
        "source",
        "occurred_at",
        "summary",
        "actor",
        "data",
        "sequence",
        "stale",
    )
)


def _subject(order_id: str | None, quote_id: str | None, customer_id: str | None = None) -> Any:
    if order_id is not None:
        return order_timeline.c.order_id == order_id
    if customer_id is not None:
        return order_timeline.c.customer_id == customer_id
    return order_timeline.c.quote_id == quote_id


class SqlTimeline:
    """The timeline part of the unit of work (SqlUnitOfWork builds on it)."""

    session: AsyncSession
    orders: SqlOrderRepository
    outbox: Table

    async def note_received(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
        stale: bool = False,
        saving: Order | None = None,
        lines: bool = False,
    ) -> None:
        await self._book(
            event,
            summary=summary,
            order_id=order_id,
            quote_id=quote_id,
            stale=stale,
            saving=saving,
            lines=lines,
        )

    async def _book(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None,
        quote_id: str | None,
        stale: bool = False,
        saving: Order | None = None,
        lines: bool = False,
        adding: Order | None = None,
        recording: Mapping[str, Any] | None = None,
        numbered_by: Table | None = None,
    ) -> None:
        """`note_received`; `recording`: the event's outbox row (`outbox_row`), written in the
        same statement (our own event: one round trip fewer), with the relay's notification if
        the transaction has yet to send it; `numbered_by`: the event counters that number it
        in that statement too (`recording` is then `numbered_outbox_row`'s); `adding`: a new
        order, written by that statement too (`orders.adding`)."""
        # Its webhook deliveries, unless it is stale (an overtaken event is not sent again),
        # and when the stage it ends started: in the statement that books it.
        deliveries = not stale and wants_deliveries(event)
        stage = None if stale or order_id is None else pipeline_stage_of(event)
        # Dumped once when it has deliveries: the timeline keeps its data, a delivery its JSON
        # (the text `model_dump_json` writes), where the two were dumped apart.
        dumped = event.model_dump(mode="json") if deliveries else None
        data = event.data.model_dump(mode="json") if dumped is None else dumped["data"]
        parameters: dict[str, Any] = {
            "order_id": order_id,
            "quote_id": quote_id,
            "event_id": event.id,
            "type": event.type,
            "source": event.source,
            "occurred_at": event.time,
            "summary": summary[:500],
            "actor": event.actor,
            "data": data,
            "stale": stale,
        }
        if numbered_by is None:
            parameters["sequence"] = event.sequence
        if dumped is not None:
            subject = order_id or quote_id
            parameters |= delivery_parameters(
                event,
                subject,
                numbered=numbered_by is not None,
                payload=json_column_text(dumped),
            )
        if stage is not None:
            parameters["started_by"] = stage[1]
        shape = None
        if saving is not None:  # saved in the booking's statement: one round trip or more fewer
            saved = await self.orders.save_all_but_header(saving, lines=lines)
            parameters |= saved.parameters
            shape = saved.shape
        added = None
        if adding is not None:  # the order's first event: it is written with it
            added = self.orders.adding(adding)
            parameters |= added.parameters
        if recording is not None:
            parameters |= recording
        # Projected on the sales model once booked, stale too (idempotent, forwards only): in
        # the statement when the projection needs no answer, else right after it.
        fold = sales_model.fold_of(event)
        if fold is not None:
            parameters |= fold.parameters
        statement = _booking(
            deliveries=deliveries,
            stage=stage is not None,
            saving=shape,
            adding=None if added is None else added.shape,
            outbox=self.outbox if recording is not None else None,
            numbered_by=numbered_by,
            projection=fold.shape if fold is not None else None,
        )
        if recording is not None:
            wake_relay_after_commit(self.session)

        def booked(recorded: Row[Any]) -> bool:
            """What the booking's row says, once it comes: whether the event was new."""
            if recorded.id is None:
                return False  # seen before: applied once already
            if deliveries and recorded.delivered:
                wake_dispatcher(self.session)
            if stage is not None and recorded.started is not None:
                seconds = max((event.time - recorded.started).total_seconds(), 0.0)
                ORDER_STAGE_SECONDS.labels(stage[0]).observe(seconds)
            return True

        if fold is not None or event.type not in sales_model.PROJECTED:
            # Nothing more to run for it (its projection in the statement, or none): in a
            # consumer's batch it may go to the server with the bookings after it, in one round
            # trip (servicekit.direct's pipeline).
            await execute_one_later(self.session, statement, parameters, booked)
            return
        recorded = (await self.session.execute(statement, parameters)).one()
        if booked(recorded):
            if numbered_by is not None:
                event = event.model_copy(update={"sequence": recorded.sequence})
            await sales_model.project(self.session, event)

    async def note(
        self,
        type: str,
        *,
        summary: str,
        data: dict[str, Any],
        order_id: str | None = None,
        quote_id: str | None = None,
        customer_id: str | None = None,
    ) -> None:
        await self.session.execute(
            order_timeline.insert(),
            {
                "order_id": order_id,
                "quote_id": quote_id,
                "customer_id": customer_id,
                "event_id": str(uuid.uuid4()),
                "type": type,
                "source": SOURCE,
                "occurred_at": datetime.now(UTC),
                "summary": summary[:500],
                "actor": current_actor(),
                "data": data,
            },
        )

    async def timeline(
        self,
        order_id: str | None = None,
        *,
        quote_id: str | None = None,
        customer_id: str | None = None,
    ) -> list[TimelineEntry]:
        rows = await self.session.execute(
            select(order_timeline)
            .where(_subject(order_id, quote_id, customer_id))
            .order_by(order_timeline.c.occurred_at, order_timeline.c.id)
        )
        # Every field of an entry is the same-named column.
        return [copied(TimelineEntry, row) for row in rows]

    async def has_entry(
        self,
        type: str,
        match: dict[str, str],
        *,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> bool:
        query = select(order_timeline.c.id).where(
            _subject(order_id, quote_id), order_timeline.c.type == type
        )
        for name, value in match.items():
            query = query.where(order_timeline.c.data[name].astext == value)
        return (await self.session.execute(query.limit(1))).first() is not None
