"""The documents table as a repository of domain `Document`s, and the SQL unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from documents.adapters.tables import documents, metadata
from documents.domain.model import Document, DocumentKind
from servicekit.outbox import add_to_outbox


def _document(row: RowMapping) -> Document:
    return Document(
        id=row["id"],
        order_id=row["order_id"],
        kind=DocumentKind(row["kind"]),
        reference=row["reference"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        storage_key=row["storage_key"],
        source_event_id=row["source_event_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlDocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, document_id: uuid.UUID) -> Document | None:
        row = (
            (await self.session.execute(select(documents).where(documents.c.id == document_id)))
            .mappings()
            .first()
        )
        return _document(row) if row else None

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None:
        query = select(documents).where(
            documents.c.kind == kind.value, documents.c.reference == reference
        )
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _document(row) if row else None

    async def add(self, document: Document) -> None:
        row = (
            await self.session.execute(
                documents.insert()
                .values(
                    id=document.id,
                    order_id=document.order_id,
                    kind=document.kind.value,
                    reference=document.reference,
                    filename=document.filename,
                    content_type=document.content_type,
                    size=document.size,
                    sha256=document.sha256,
                    storage_key=document.storage_key,
                    source_event_id=document.source_event_id,
                )
                .returning(documents.c.created_at, documents.c.updated_at)
            )
        ).one()
        document.created_at, document.updated_at = row.created_at, row.updated_at

    async def update(self, document: Document) -> None:
        row = (
            await self.session.execute(
                documents.update()
                .where(documents.c.id == document.id)
                .values(
                    filename=document.filename,
                    content_type=document.content_type,
                    size=document.size,
                    sha256=document.sha256,
                    storage_key=document.storage_key,
                    source_event_id=document.source_event_id,
                    updated_at=func.now(),
                )
                .returning(documents.c.updated_at)
            )
        ).one()
        document.updated_at = row.updated_at

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Document]:
        query = select(documents).order_by(documents.c.created_at, documents.c.id).limit(limit)
        if order_id is not None:
            query = query.where(documents.c.order_id == order_id)
        if kind is not None:
            query = query.where(documents.c.kind == kind.value)
        if after is not None:
            query = query.where(tuple_(documents.c.created_at, documents.c.id) > tuple_(*after))
        rows = (await self.session.execute(query)).mappings().all()
        return [_document(row) for row in rows]


class SqlUnitOfWork:
    """Repository and outbox on the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.documents = SqlDocumentRepository(session)

    async def add_event(self, event: CloudEvent[Any]) -> None:
        await add_to_outbox(self.session, metadata.tables["outbox"], event)
