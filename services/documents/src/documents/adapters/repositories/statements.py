"""Printed customer statements on SQLAlchemy Core."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping, or_, select

from documents.adapters.repositories import rows
from documents.adapters.statement_tables import statements
from documents.domain.statements import StatementDocument
from documents.service_layer.statements import StatementFilter
from documents.service_layer.unit_of_work import Position
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository
from servicekit.visibility import Visibility


def _statement(row: RowMapping) -> StatementDocument:
    return copied(StatementDocument, dict(row))


def _rendition(statement: StatementDocument) -> dict[str, Any]:
    return {
        "customer_name": statement.customer_name,
        "owner": statement.owner,
        "team": statement.team,
        "filename": statement.filename,
        "content_type": statement.content_type,
        "size": statement.size,
        "sha256": statement.sha256,
        "storage_key": statement.storage_key,
        "source_event_id": statement.source_event_id,
    }


class SqlStatementRepository(SqlRepository):
    async def get(
        self, statement_id: uuid.UUID, *, for_update: bool = False
    ) -> StatementDocument | None:
        query = select(statements).where(statements.c.id == statement_id)
        if for_update:
            query = query.with_for_update()
        return await rows.first(self.session, query, _statement)

    async def add(self, statement: StatementDocument) -> None:
        fixed = {
            "customer_id": statement.customer_id,
            "period_start": statement.period_start,
            "period_end": statement.period_end,
        }
        await rows.insert(self.session, statements, statement, {**fixed, **_rendition(statement)})

    async def update(self, statement: StatementDocument) -> None:
        await rows.update(self.session, statements, statement, _rendition(statement))

    async def list(
        self, where: StatementFilter, *, after: Position | None, limit: int
    ) -> list[StatementDocument]:
        query = rows.page_of(statements, after, limit)
        if where.customer_id is not None:
            query = query.where(statements.c.customer_id == where.customer_id)
        viewer = where.viewer
        if not viewer.sees_all:
            seen = [statements.c.owner == viewer.subject]
            if viewer.visibility is Visibility.TEAM and viewer.team is not None:
                seen.append(statements.c.team == viewer.team)
            query = query.where(or_(*seen))
        found = (await self.session.execute(query)).mappings().all()
        return [_statement(row) for row in found]
