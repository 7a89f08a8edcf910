"""The unit of work on PostgreSQL: Core repositories in the caller's transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from orders.adapters.tables import (
    customers,
    metadata,
    order_documents,
    order_lines,
    order_number_counters,
    order_shipments,
    order_timeline,
    orders,
)
from orders.domain.model import (
    Address,
    Billing,
    Customer,
    Document,
    Fulfilment,
    Line,
    LineKind,
    Order,
    OrderStatus,
    PaymentTerms,
)
from orders.service_layer.unit_of_work import (
    AbstractUnitOfWork,
    CustomerRepository,
    OrderFilters,
    OrderRepository,
    TimelineEntry,
)
from servicekit.auth import current_actor
from servicekit.outbox import add_to_outbox


def address_to_json(address: Address | None) -> dict[str, Any] | None:
    return None if address is None else asdict(address)


def address_from_json(data: dict[str, Any] | None) -> Address | None:
    return None if data is None else Address(**data)


def _customer(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        email=row.email,
        created_at=row.created_at,
        billing_address=address_from_json(row.billing_address),
        shipping_address=address_from_json(row.shipping_address),
    )


def canonical_id(value: object) -> str | None:
    """The canonical form of a UUID id, or None: anything else names nothing here."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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

    async def get(self, customer_id: str) -> Customer | None:
        wanted = canonical_id(customer_id)
        if wanted is None:
            return None
        row = (
            await self.session.execute(select(customers).where(customers.c.id == wanted))
        ).first()
        return None if row is None else _customer(row)

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
            pattern = f"%{_escape_like(q)}%"
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


def _header_values(order: Order) -> dict[str, Any]:
    totals = order.totals
    return {
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value,
        "fulfilment": order.fulfilment.value,
        "billing": order.billing.value,
        "currency": order.currency,
        "order_date": order.order_date,
        "contact": order.contact,
        "customer_reference": order.customer_reference,
        "description": order.description,
        "opening_text": order.opening_text,
        "closing_text": order.closing_text,
        "payment_terms_days": order.payment_terms.days,
        "payment_terms_text": order.payment_terms.text,
        "billing_address": address_to_json(order.billing_address),
        "shipping_address": address_to_json(order.shipping_address),
        "net_total": totals.net,
        "tax_total": totals.tax,
        "gross_total": totals.gross,
        "external_reference": order.external_reference,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _line_values(order_id: str, line: Line) -> dict[str, Any]:
    amounts = line.amounts
    return {
        "order_id": order_id,
        "line_no": line.line_no,
        "sku": line.sku,
        "kind": line.kind.value,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "tax_rate": line.tax_rate,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "gross_amount": amounts.gross,
        "shipped_quantity": line.shipped_quantity,
    }


def _line(row: Row[Any]) -> Line:
    return Line(
        line_no=row.line_no,
        sku=row.sku,
        kind=LineKind(row.kind),
        description=row.description,
        quantity=Decimal(row.quantity),
        unit_price=Decimal(row.unit_price),
        discount_percent=Decimal(row.discount_percent),
        tax_rate=Decimal(row.tax_rate),
        shipped_quantity=Decimal(row.shipped_quantity),
    )


class SqlOrderRepository(OrderRepository):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, order: Order) -> None:
        await self.session.execute(orders.insert().values(id=order.id, **_header_values(order)))
        await self._insert_lines(order)
        await self._save_children(order)

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        wanted = canonical_id(order_id)
        if wanted is None:
            return None
        query = select(orders).where(orders.c.id == wanted)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return (await self._assemble([row]))[0]

    async def find_by_external_reference(self, reference: str) -> Order | None:
        row = (
            await self.session.execute(
                select(orders).where(orders.c.external_reference == reference)
            )
        ).first()
        return None if row is None else (await self._assemble([row]))[0]

    async def save(self, order: Order, *, lines: bool = False) -> None:
        values = _header_values(order)
        await self.session.execute(update(orders).where(orders.c.id == order.id).values(**values))
        if lines:
            await self.session.execute(
                delete(order_lines).where(order_lines.c.order_id == order.id)
            )
            await self._insert_lines(order)
        await self._save_children(order)

    async def search(
        self, filters: OrderFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Order]:
        query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        conditions = {
            orders.c.status: filters.status and filters.status.value,
            orders.c.fulfilment: filters.fulfilment and filters.fulfilment.value,
            orders.c.billing: filters.billing and filters.billing.value,
            orders.c.customer_id: filters.customer_id,
            orders.c.external_reference: filters.external_reference,
        }
        for column, value in conditions.items():
            if value is not None:
                query = query.where(column == value)
        if filters.date_from is not None:
            query = query.where(orders.c.order_date >= filters.date_from)
        if filters.date_to is not None:
            query = query.where(orders.c.order_date <= filters.date_to)
        if before is not None:
            created_at, last_id = before
            query = query.where(
                tuple_(orders.c.created_at, orders.c.id)
                < tuple_(
                    literal(created_at, orders.c.created_at.type),
                    literal(last_id, orders.c.id.type),
                )
            )
        rows = (await self.session.execute(query)).all()
        return await self._assemble(rows)

    async def _insert_lines(self, order: Order) -> None:
        if order.lines:
            await self.session.execute(
                order_lines.insert(), [_line_values(order.id, line) for line in order.lines]
            )

    async def _save_children(self, order: Order) -> None:
        if order.shipment_ids:
            await self.session.execute(
                insert(order_shipments)
                .values([{"order_id": order.id, "shipment_id": s} for s in order.shipment_ids])
                .on_conflict_do_nothing()
            )
        if order.documents:
            await self.session.execute(
                insert(order_documents)
                .values(
                    [
                        {"order_id": order.id, "position": position, **asdict(document)}
                        for position, document in enumerate(order.documents)
                    ]
                )
                .on_conflict_do_nothing()
            )

    async def _assemble(self, rows: Sequence[Row[Any]]) -> list[Order]:
        """Orders from their header rows, with lines, documents and shipments in 3 queries."""
        ids = [row.id for row in rows]
        if not ids:
            return []
        lines: dict[str, list[Line]] = defaultdict(list)
        for line_row in await self.session.execute(
            select(order_lines)
            .where(order_lines.c.order_id.in_(ids))
            .order_by(order_lines.c.order_id, order_lines.c.line_no)
        ):
            lines[line_row.order_id].append(_line(line_row))
        documents: dict[str, list[Document]] = defaultdict(list)
        for doc in await self.session.execute(
            select(order_documents)
            .where(order_documents.c.order_id.in_(ids))
            .order_by(order_documents.c.order_id, order_documents.c.position)
        ):
            documents[doc.order_id].append(
                Document(doc.document_id, doc.kind, doc.reference, doc.download_path)
            )
        shipments: dict[str, set[str]] = defaultdict(set)
        for shipment in await self.session.execute(
            select(order_shipments).where(order_shipments.c.order_id.in_(ids))
        ):
            shipments[shipment.order_id].add(shipment.shipment_id)
        return [
            Order(
                id=row.id,
                number=row.number,
                customer_id=row.customer_id,
                currency=row.currency,
                order_date=row.order_date,
                lines=lines[row.id],
                created_at=row.created_at,
                updated_at=row.updated_at,
                status=OrderStatus(row.status),
                fulfilment=Fulfilment(row.fulfilment),
                billing=Billing(row.billing),
                contact=row.contact,
                customer_reference=row.customer_reference,
                description=row.description,
                opening_text=row.opening_text,
                closing_text=row.closing_text,
                payment_terms=PaymentTerms(row.payment_terms_days, row.payment_terms_text),
                billing_address=address_from_json(row.billing_address),
                shipping_address=address_from_json(row.shipping_address),
                external_reference=row.external_reference,
                documents=documents[row.id],
                shipment_ids=shipments[row.id],
            )
            for row in rows
        ]


class SqlUnitOfWork(AbstractUnitOfWork):
    """Repositories and messaging tables on one session; the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = SqlCustomerRepository(session)
        self.orders = SqlOrderRepository(session)

    async def next_order_sequence(self, year: int) -> int:
        # The upsert locks the year's row until commit: concurrent orders queue here, and a
        # rollback releases the number for the next one.
        statement = (
            insert(order_number_counters)
            .values(year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[order_number_counters.c.year],
                set_={"last_value": order_number_counters.c.last_value + 1},
            )
            .returning(order_number_counters.c.last_value)
        )
        value: int = (await self.session.execute(statement)).scalar_one()
        return value

    async def publish(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        if event.actor is None and (actor := current_actor()) is not None:
            event = event.model_copy(update={"actor": actor})  # the person behind the request
        await add_to_outbox(self.session, metadata.tables["outbox"], event, key=order_id)
        await self.record(event, order_id=order_id, summary=summary)

    async def record(self, event: CloudEvent[Any], *, order_id: str, summary: str) -> None:
        await self.session.execute(
            insert(order_timeline)
            .values(
                order_id=order_id,
                event_id=event.id,
                type=event.type,
                source=event.source,
                occurred_at=event.time,
                summary=summary[:500],
                actor=event.actor,
                data=event.data.model_dump(mode="json"),
            )
            .on_conflict_do_nothing(index_elements=[order_timeline.c.event_id])
        )

    async def timeline(self, order_id: str) -> list[TimelineEntry]:
        rows = await self.session.execute(
            select(order_timeline)
            .where(order_timeline.c.order_id == order_id)
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
