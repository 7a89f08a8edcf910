"""Documents (the metadata rows of rendered files) on SQLAlchemy Core."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from documents.adapters.repositories import rows
from documents.adapters.tables import documents
from documents.domain.model import Document, DocumentKind
from documents.service_layer.unit_of_work import Position
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository

# Read on every event that renders a document: statements built once.
_BY_REFERENCE = select(documents).where(
    documents.c.kind == bindparam("kind"), documents.c.reference == bindparam("reference")
)
_BY_REFERENCE_LOCKED = _BY_REFERENCE.with_for_update()
_CONFIRMATION_TEMPLATE = select(documents.c.template_id).where(
    documents.c.order_id == bindparam("order_id"),
    documents.c.kind == DocumentKind.ORDER_CONFIRMATION.value,
)


def _document(row: RowMapping) -> Document:
    return copied(Document, {**row, "kind": DocumentKind(row["kind"])})


def _rendition(document: Document) -> dict[str, Any]:
    """What a new rendition changes (the owner, kind and number never change)."""
    return {
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "storage_key": document.storage_key,
        "source_event_id": document.source_event_id,
        "template_id": document.template_id,
        "language": document.language,
    }


def _row(document: Document) -> dict[str, Any]:
    """A new document's row, but for the times the database sets."""
    return {
        "id": document.id,
        "order_id": document.order_id,
        "quote_id": document.quote_id,
        "purchase_order_id": document.purchase_order_id,
        "kind": document.kind.value,
        "reference": document.reference,
        **_rendition(document),
    }


_ADDED_COLUMNS = tuple(
    column.name for column in documents.c if column.name not in ("created_at", "updated_at")
)

# A new document's row from `adding_parameters` (`document_<column>`), giving back its times,
# or nothing when a document of its kind and number (or its id) is there already: for a
# statement that runs it as a `WITH` (the unit of work's `add_new_and_record`).
ADDING_NEW: ReturningInsert[Any] = (
    insert(documents)
    .values(
        {
            name: bindparam(f"document_{name}", type_=documents.c[name].type)
            for name in _ADDED_COLUMNS
        }
    )
    .on_conflict_do_nothing()
    .returning(documents.c.created_at, documents.c.updated_at)
)


def adding_parameters(document: Document) -> dict[str, Any]:
    """`ADDING`'s parameters for `document`."""
    return {f"document_{name}": value for name, value in _row(document).items()}


class SqlDocumentRepository(SqlRepository):
    async def get(self, document_id: uuid.UUID) -> Document | None:
        query = select(documents).where(documents.c.id == document_id)
        return await rows.first(self.session, query, _document)

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None:
        query = _BY_REFERENCE_LOCKED if for_update else _BY_REFERENCE
        where = {"kind": kind.value, "reference": reference}
        return await rows.first(self.session, query, _document, where)

    async def add(self, document: Document) -> None:
        values = _row(document)
        del values["id"]
        await rows.insert(self.session, documents, document, values)

    async def update(self, document: Document) -> None:
        await rows.update(self.session, documents, document, _rendition(document))

    async def template_of_order(self, order_id: str) -> str | None:
        found = await self.session.execute(_CONFIRMATION_TEMPLATE, {"order_id": order_id})
        template_id: str | None = found.scalars().first()
        return template_id

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: Position | None,
        limit: int,
        quote_id: str | None = None,
        purchase_order_id: str | None = None,
    ) -> list[Document]:
        query = rows.page_of(documents, after, limit)
        if order_id is not None:
            query = query.where(documents.c.order_id == order_id)
        if quote_id is not None:
            query = query.where(documents.c.quote_id == quote_id)
        if purchase_order_id is not None:
            query = query.where(documents.c.purchase_order_id == purchase_order_id)
        if kind is not None:
            query = query.where(documents.c.kind == kind.value)
        found = (await self.session.execute(query)).mappings().all()
        return [_document(row) for row in found]
