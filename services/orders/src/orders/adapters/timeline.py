"""The per-order (and per-quote) timeline on PostgreSQL: events of every service, and facts
only this service knows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters import sales_model
from orders.adapters.tables import order_timeline
from orders.adapters.webhooks import enqueue_deliveries
from orders.service_layer.events import SOURCE
from orders.service_layer.unit_of_work import TimelineEntry
from servicekit.auth import current_actor
from servicekit.mapping import copied
from servicekit.observability import ORDER_STAGE_SECONDS, pipeline_stage_of


def _subject(order_id: str | None, quote_id: str | None, customer_id: str | None = None) -> Any:
    if order_id is not None:
        return order_timeline.c.order_id == order_id
    if customer_id is not None:
        return order_timeline.c.customer_id == customer_id
    return order_timeline.c.quote_id == quote_id


class SqlTimeline:
    """The timeline part of the unit of work (SqlUnitOfWork builds on it)."""

    session: AsyncSession

    async def note_received(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
        stale: bool = False,
    ) -> None:
        recorded = await self.session.execute(
            insert(order_timeline)
            .values(
                order_id=order_id,
                quote_id=quote_id,
                event_id=event.id,
                type=event.type,
                source=event.source,
                occurred_at=event.time,
                summary=summary[:500],
                actor=event.actor,
                data=event.data.model_dump(mode="json"),
                sequence=event.sequence,
                stale=stale,
            )
            .on_conflict_do_nothing(index_elements=[order_timeline.c.event_id])
            .returning(order_timeline.c.id)
        )
        if recorded.first() is None:
            return  # seen before: applied once already
        await sales_model.project(self.session, event)  # idempotent, forwards only: stale too
        if stale:
            return  # overtaken: neither measured nor sent again
        await enqueue_deliveries(self.session, event, subject=order_id or quote_id)
        if order_id is not None:
            await self._observe_pipeline_stage(order_id, event)

    async def _observe_pipeline_stage(self, order_id: str, event: CloudEvent[Any]) -> None:
        """Time from the step before to this one (e.g. confirmation to reservation), once."""
        stage = pipeline_stage_of(event)
        if stage is None:
            return
        name, previous_type = stage
        started = (
            await self.session.execute(
                select(func.max(order_timeline.c.occurred_at)).where(
                    order_timeline.c.order_id == order_id,
                    order_timeline.c.type == previous_type,
                )
            )
        ).scalar_one_or_none()
        if started is not None:
            ORDER_STAGE_SECONDS.labels(name).observe(
                max((event.time - started).total_seconds(), 0.0)
            )

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
            order_timeline.insert().values(
                order_id=order_id,
                quote_id=quote_id,
                customer_id=customer_id,
                event_id=str(uuid.uuid4()),
                type=type,
                source=SOURCE,
                occurred_at=datetime.now(UTC),
                summary=summary[:500],
                actor=current_actor(),
                data=data,
            )
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
