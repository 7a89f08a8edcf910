"""The unit of work on PostgreSQL: Core repositories in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.orders_repository import SqlOrderRepository, SqlQuoteRepository
from orders.adapters.rows import (
    address_from_json,
    address_to_json,
    canonical_id,
    escape_like,
)
from orders.adapters.tables import (
    customer_addresses,
    customers,
    metadata,
    opportunities,
    order_number_counters,
    order_timeline,
    quote_number_counters,
    saved_filters,
    stages,
)
from orders.domain.addresses import AddressKind, CustomerAddress
from orders.domain.model import Customer, Opportunity
from orders.domain.pipeline import Stage
from orders.service_layer.unit_of_work import (
    AbstractUnitOfWork,
    AddressRepository,
    CustomerRepository,
    OpportunityRepository,
    SavedFilter,
    SavedFilterRepository,
    StageRepository,
    TimelineEntry,
)
from servicekit.auth import current_actor
from servicekit.observability import ORDER_STAGE_SECONDS, pipeline_stage_of
from servicekit.outbox import add_to_outbox

__all__ = ["SqlUnitOfWork", "canonical_id"]

SOURCE = "/orders"


def _customer(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        email=row.email,
        created_at=row.created_at,
        billing_address=address_from_json(row.billing_address),
        shipping_address=address_from_json(row.shipping_address),
    )


class SqlCustomerRepository(CustomerRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, customer: Customer) -> None:
        await self.session.execute(
            customers.insert().values(
                id=customer.id,
                name=customer.name,
                email=customer.email,
                billing_address=address_to_json(customer.billing_address),
                shipping_address=address_to_json(customer.shipping_address),
                created_at=customer.created_at,
            )
        )

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer | None:
        wanted = canonical_id(customer_id)
        if wanted is None:
            return None
        query = select(customers).where(customers.c.id == wanted)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return None if row is None else _customer(row)

    async def save(self, customer: Customer) -> None:
        await self.session.execute(
            customers.update()
            .where(customers.c.id == customer.id)
            .values(
                name=customer.name,
                email=customer.email,
                billing_address=address_to_json(customer.billing_address),
                shipping_address=address_to_json(customer.shipping_address),
            )
        )

    async def get_many(self, customer_ids: set[str]) -> dict[str, Customer]:
        wanted = sorted({c for c in map(canonical_id, customer_ids) if c is not None})
        if not wanted:
            return {}
        rows = await self.session.execute(select(customers).where(customers.c.id.in_(wanted)))
        return {row.id: _customer(row) for row in rows}

    async def find_by_email(self, email: str) -> Customer | None:
        row = (
            await self.session.execute(
                select(customers)
                .where(func.lower(customers.c.email) == email.lower())
                .order_by(customers.c.created_at, customers.c.id)
                .limit(1)
            )
        ).first()
        return None if row is None else _customer(row)

    async def search(
        self, *, q: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Customer]:
        query = select(customers).order_by(customers.c.name, customers.c.id).limit(limit)
        if q:
            pattern = f"%{escape_like(q)}%"
            query = query.where(
                or_(customers.c.name.ilike(pattern), customers.c.email.ilike(pattern))
            )
        if after is not None:
            name, last_id = after
            query = query.where(
                tuple_(customers.c.name, customers.c.id)
                > tuple_(
                    literal(name, customers.c.name.type), literal(last_id, customers.c.id.type)
                )
            )
        return [_customer(row) for row in await self.session.execute(query)]


def _address(row: Row[Any]) -> CustomerAddress:
    address = address_from_json(row.address)
    assert address is not None
    return CustomerAddress(
        id=row.id,
        customer_id=row.customer_id,
        kind=AddressKind(row.kind),
        address=address,
        label=row.label,
        is_default=row.is_default,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlAddressRepository(AddressRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_customer(self, customer_id: str) -> list[CustomerAddress]:
        rows = await self.session.execute(
            select(customer_addresses)
            .where(customer_addresses.c.customer_id == customer_id)
            .order_by(customer_addresses.c.created_at, customer_addresses.c.id)
        )
        return [_address(row) for row in rows]

    async def get(self, address_id: str) -> CustomerAddress | None:
        wanted = canonical_id(address_id)
        if wanted is None:
            return None
        row = (
            await self.session.execute(
                select(customer_addresses).where(customer_addresses.c.id == wanted)
            )
        ).first()
        return None if row is None else _address(row)

    async def save_all(
        self, customer_id: str, addresses: list[CustomerAddress], removed: set[str]
    ) -> None:
        if removed:
            await self.session.execute(
                delete(customer_addresses).where(
                    customer_addresses.c.customer_id == customer_id,
                    customer_addresses.c.id.in_(sorted(removed)),
                )
            )
        # Non-defaults first: the unique index on defaults is checked row by row.
        for address in sorted(addresses, key=lambda a: a.is_default):
            values = {
                "customer_id": address.customer_id,
                "kind": address.kind.value,
                "label": address.label,
                "address": address_to_json(address.address),
                "is_default": address.is_default,
                "created_at": address.created_at,
                "updated_at": address.updated_at,
            }
            await self.session.execute(
                insert(customer_addresses)
                .values(id=address.id, **values)
                .on_conflict_do_update(index_elements=[customer_addresses.c.id], set_=values)
            )


class SqlOpportunityRepository(OpportunityRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, opportunity_id: str) -> Opportunity | None:
        row = (
            await self.session.execute(
                select(opportunities).where(opportunities.c.id == opportunity_id)
            )
        ).first()
        return None if row is None else Opportunity(row.id, row.name, row.customer_id)

    async def upsert(self, opportunity: Opportunity) -> None:
        statement = insert(opportunities).values(
            id=opportunity.id, name=opportunity.name, customer_id=opportunity.customer_id
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[opportunities.c.id],
                set_={
                    "name": statement.excluded.name,
                    "customer_id": func.coalesce(
                        statement.excluded.customer_id, opportunities.c.customer_id
                    ),
                    "updated_at": func.now(),
                },
            )
        )


class SqlStageRepository(StageRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[Stage]:
        rows = await self.session.execute(select(stages).order_by(stages.c.position))
        return [
            Stage(
                key=row.key,
                name=row.name,
                position=row.position,
                required_fields=tuple(row.required_fields),
                allowed_roles=tuple(row.allowed_roles),
                is_approval=row.is_approval,
            )
            for row in rows
        ]

    async def replace(self, new: list[Stage]) -> None:
        # One administrator's list at a time: a concurrent replacement waits for this one.
        await self.session.execute(select(func.pg_advisory_xact_lock(0x5354414745)))
        await self.session.execute(delete(stages))
        if new:
            await self.session.execute(
                stages.insert(),
                [
                    {
                        "key": stage.key,
                        "name": stage.name,
                        "position": stage.position,
                        "required_fields": list(stage.required_fields),
                        "allowed_roles": list(stage.allowed_roles),
                        "is_approval": stage.is_approval,
                    }
                    for stage in new
                ],
            )


def _saved_filter(row: Row[Any]) -> SavedFilter:
    return SavedFilter(row.id, row.owner, row.name, row.query, row.created_at)


class SqlSavedFilterRepository(SavedFilterRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, saved: SavedFilter) -> bool:
        inserted = await self.session.execute(
            insert(saved_filters)
            .values(
                id=saved.id,
                owner=saved.owner,
                name=saved.name,
                query=saved.query,
                created_at=saved.created_at,
            )
            .on_conflict_do_nothing(constraint="uq_saved_filters_owner_name")
            .returning(saved_filters.c.id)
        )
        return inserted.first() is not None

    async def get(self, filter_id: str, owner: str) -> SavedFilter | None:
        wanted = canonical_id(filter_id)
        if wanted is None:
            return None
        row = (
            await self.session.execute(
                select(saved_filters).where(
                    saved_filters.c.id == wanted, saved_filters.c.owner == owner
                )
            )
        ).first()
        return None if row is None else _saved_filter(row)

    async def of_owner(
        self, owner: str, *, limit: int, after: tuple[str, str] | None
    ) -> list[SavedFilter]:
        query = (
            select(saved_filters)
            .where(saved_filters.c.owner == owner)
            .order_by(saved_filters.c.name, saved_filters.c.id)
            .limit(limit)
        )
        if after is not None:
            name, last_id = after
            query = query.where(
                tuple_(saved_filters.c.name, saved_filters.c.id)
                > tuple_(
                    literal(name, saved_filters.c.name.type),
                    literal(last_id, saved_filters.c.id.type),
                )
            )
        return [_saved_filter(row) for row in await self.session.execute(query)]

    async def delete(self, filter_id: str, owner: str) -> bool:
        wanted = canonical_id(filter_id)
        if wanted is None:
            return False
        deleted = await self.session.execute(
            delete(saved_filters)
            .where(saved_filters.c.id == wanted, saved_filters.c.owner == owner)
            .returning(saved_filters.c.id)
        )
        return deleted.first() is not None


class SqlUnitOfWork(AbstractUnitOfWork):
    """Repositories and messaging tables on one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = SqlCustomerRepository(session)
        self.addresses = SqlAddressRepository(session)
        self.orders = SqlOrderRepository(session)
        self.quotes = SqlQuoteRepository(session)
        self.opportunities = SqlOpportunityRepository(session)
        self.stages = SqlStageRepository(session)
        self.saved_filters = SqlSavedFilterRepository(session)

    async def _next(self, counters: Any, year: int) -> int:
        # The upsert locks the year's row until commit: concurrent inserts queue here, and a
        # rollback releases the number for the next one.
        statement = (
            insert(counters)
            .values(year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[counters.c.year],
                set_={"last_value": counters.c.last_value + 1},
            )
            .returning(counters.c.last_value)
        )
        value: int = (await self.session.execute(statement)).scalar_one()
        return value

    async def next_order_sequence(self, year: int) -> int:
        return await self._next(order_number_counters, year)

    async def next_quote_sequence(self, year: int) -> int:
        return await self._next(quote_number_counters, year)

    async def publish(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> None:
        if event.actor is None and (actor := current_actor()) is not None:
            event = event.model_copy(update={"actor": actor})  # the person behind the request
        key = order_id or quote_id
        await add_to_outbox(self.session, metadata.tables["outbox"], event, key=key)
        await self.record(event, summary=summary, order_id=order_id, quote_id=quote_id)

    async def record(
        self,
        event: CloudEvent[Any],
        *,
        summary: str,
        order_id: str | None = None,
        quote_id: str | None = None,
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
            )
            .on_conflict_do_nothing(index_elements=[order_timeline.c.event_id])
            .returning(order_timeline.c.id)
        )
        if order_id is not None and recorded.first() is not None:
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
    ) -> None:
        await self.session.execute(
            order_timeline.insert().values(
                order_id=order_id,
                quote_id=quote_id,
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
        self, order_id: str | None = None, *, quote_id: str | None = None
    ) -> list[TimelineEntry]:
        subject = (
            order_timeline.c.order_id == order_id
            if order_id is not None
            else order_timeline.c.quote_id == quote_id
        )
        rows = await self.session.execute(
            select(order_timeline)
            .where(subject)
            .order_by(order_timeline.c.occurred_at, order_timeline.c.id)
        )
        return [
            TimelineEntry(
                occurred_at=row.occurred_at,
                type=row.type,
                source=row.source,
                event_id=row.event_id,
                summary=row.summary,
                actor=row.actor,
                data=row.data,
            )
            for row in rows
        ]

    async def has_entry(
        self,
        type: str,
        match: dict[str, str],
        *,
        order_id: str | None = None,
        quote_id: str | None = None,
    ) -> bool:
        subject = (
            order_timeline.c.order_id == order_id
            if order_id is not None
            else order_timeline.c.quote_id == quote_id
        )
        query = select(order_timeline.c.id).where(subject, order_timeline.c.type == type)
        for name, value in match.items():
            query = query.where(order_timeline.c.data[name].astext == value)
        return (await self.session.execute(query.limit(1))).first() is not None
