"""Quotes on PostgreSQL: header, lines and documents (and the orders made from them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, select, tuple_, update
from sqlalchemy.engine import Row

from orders.adapters.children import (
    add_documents,
    documents_of,
    insert_lines,
    lines_of,
    replace_lines,
)
from orders.adapters.orders import orders_of_quotes
from orders.adapters.ownership import ownership_conditions
from orders.adapters.rows import (
    content_from_row,
    content_values,
    row_by_id,
    text_match,
)
from orders.adapters.tables import quote_documents, quote_lines, quotes
from orders.domain.quote import Quote, QuoteDocument, QuoteStatus
from orders.service_layer.ports import QuoteFilters
from servicekit.unit_of_work import SqlRepository


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
        "owner": quote.owner,
        "team": quote.team,
        "created_at": quote.created_at,
        "updated_at": quote.updated_at,
    }


class SqlQuoteRepository(SqlRepository):
    async def add(self, quote: Quote) -> None:
        await self.session.execute(quotes.insert(), {"id": quote.id, **_quote_values(quote)})
        await insert_lines(self.session, quote_lines, "quote_id", quote.id, quote.lines)
        await add_documents(self.session, quote_documents, "quote_id", quote.id, quote.documents)

    async def get(self, quote_id: str, *, for_update: bool = False) -> Quote | None:
        row = await row_by_id(self.session, quotes, quote_id, for_update=for_update)
        return None if row is None else (await self._assemble([row]))[0]

    async def save(self, quote: Quote, *, lines: bool = False) -> None:
        await self.session.execute(
            update(quotes).where(quotes.c.id == quote.id).values(**_quote_values(quote))
        )
        if lines:
            await replace_lines(self.session, quote_lines, "quote_id", quote.id, quote.lines)
        await add_documents(self.session, quote_documents, "quote_id", quote.id, quote.documents)

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
        for condition in ownership_conditions(
            quotes, owner=filters.owner, team=filters.team, viewer=filters.viewer
        ):
            query = query.where(condition)
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

    async def _assemble(self, rows: Sequence[Row[Any]]) -> list[Quote]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        lines = await lines_of(self.session, quote_lines, "quote_id", ids)
        documents = await documents_of(
            self.session,
            quote_documents,
            "quote_id",
            ids,
            lambda row: QuoteDocument(row.document_id, row.reference, row.download_path),
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
                owner=row.owner,
                team=row.team,
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
