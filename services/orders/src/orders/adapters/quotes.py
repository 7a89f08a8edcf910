"""Quotes on PostgreSQL: header, lines and documents (and the orders made from them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from orders.adapters.orders import orders_of_quotes
from orders.adapters.rows import (
    canonical_id,
    content_from_row,
    content_values,
    line_from_row,
    line_values,
    text_match,
)
from orders.adapters.tables import quote_documents, quote_lines, quotes
from orders.domain.content import Line
from orders.domain.quote import Quote, QuoteDocument, QuoteStatus
from orders.service_layer.ports import QuoteFilters


def _quote_values(quote: Quote) -> dict[str, Any]:
    return {
        "number": quote.number,
        "customer_id": quote.customer_id,
        "status": quote.status.value,
        "quote_date": quote.quote_date,
        "valid_until": quote.valid_until,
        **content_values(quote),
        "sent_at": quote.sent_at,
        "decided_at": quote.decided_at,
        "rejection_reason": quote.rejection_reason,
        "created_at": quote.created_at,
        "updated_at": quote.updated_at,
    }


class SqlQuoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, quote: Quote) -> None:
        await self.session.execute(quotes.insert().values(id=quote.id, **_quote_values(quote)))
        await self._insert_lines(quote)
        await self._save_documents(quote)

    async def get(self, quote_id: str, *, for_update: bool = False) -> Quote | None:
        wanted = canonical_id(quote_id)
        if wanted is None:
            return None
        query = select(quotes).where(quotes.c.id == wanted)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return None if row is None else (await self._assemble([row]))[0]

    async def save(self, quote: Quote, *, lines: bool = False) -> None:
        await self.session.execute(
            update(quotes).where(quotes.c.id == quote.id).values(**_quote_values(quote))
        )
        if lines:
            await self.session.execute(
                delete(quote_lines).where(quote_lines.c.quote_id == quote.id)
            )
            await self._insert_lines(quote)
        await self._save_documents(quote)

    async def search(
        self, filters: QuoteFilters, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[Quote]:
        query = select(quotes).order_by(quotes.c.created_at.desc(), quotes.c.id.desc()).limit(limit)
        if filters.status is not None:
            query = query.where(_quote_status_is(filters.status, filters))
        if filters.customer_id is not None:
            query = query.where(quotes.c.customer_id == filters.customer_id)
        if filters.opportunity_id is not None:
            query = query.where(quotes.c.opportunity_id == filters.opportunity_id)
        if filters.q:
            query = query.where(
                text_match(
                    filters.q, quotes.c.number, quotes.c.description, quotes.c.customer_reference
                )
            )
        if before is not None:
            created_at, last_id = before
            query = query.where(
                tuple_(quotes.c.created_at, quotes.c.id)
                < tuple_(
                    literal(created_at, quotes.c.created_at.type),
                    literal(last_id, quotes.c.id.type),
                )
            )
        return await self._assemble((await self.session.execute(query)).all())

    async def _insert_lines(self, quote: Quote) -> None:
        if quote.lines:
            await self.session.execute(
                quote_lines.insert(),
                [line_values("quote_id", quote.id, line, quote_lines) for line in quote.lines],
            )

    async def _save_documents(self, quote: Quote) -> None:
        if quote.documents:
            await self.session.execute(
                insert(quote_documents)
                .values(
                    [
                        {"quote_id": quote.id, "position": position, **asdict(document)}
                        for position, document in enumerate(quote.documents)
                    ]
                )
                .on_conflict_do_nothing()
            )

    async def _assemble(self, rows: Sequence[Row[Any]]) -> list[Quote]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        lines: dict[str, list[Line]] = defaultdict(list)
        for line_row in await self.session.execute(
            select(quote_lines)
            .where(quote_lines.c.quote_id.in_(ids))
            .order_by(quote_lines.c.quote_id, quote_lines.c.line_no)
        ):
            lines[line_row.quote_id].append(line_from_row(line_row))
        documents: dict[str, list[QuoteDocument]] = defaultdict(list)
        for doc in await self.session.execute(
            select(quote_documents)
            .where(quote_documents.c.quote_id.in_(ids))
            .order_by(quote_documents.c.quote_id, quote_documents.c.position)
        ):
            documents[doc.quote_id].append(
                QuoteDocument(doc.document_id, doc.reference, doc.download_path)
            )
        converted = await orders_of_quotes(self.session, ids)
        return [
            Quote(
                id=row.id,
                number=row.number,
                customer_id=row.customer_id,
                quote_date=row.quote_date,
                valid_until=row.valid_until,
                lines=lines[row.id],
                created_at=row.created_at,
                updated_at=row.updated_at,
                status=QuoteStatus(row.status),
                sent_at=row.sent_at,
                decided_at=row.decided_at,
                rejection_reason=row.rejection_reason,
                orders=converted[row.id],
                documents=documents[row.id],
                **content_from_row(row),
            )
            for row in rows
        ]


def _quote_status_is(status: QuoteStatus, filters: QuoteFilters) -> ColumnElement[bool]:
    today = filters.today
    if status is QuoteStatus.EXPIRED:
        return and_(quotes.c.status == "sent", quotes.c.valid_until < today)
    if status is QuoteStatus.SENT:
        return and_(quotes.c.status == "sent", quotes.c.valid_until >= today)
    return quotes.c.status == status.value
