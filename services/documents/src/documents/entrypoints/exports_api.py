"""CSV export of the documents list with its filters, streamed a page at a time (each page read
in a short transaction of its own)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.model import Document, download_path
from documents.entrypoints.documents_api import DocumentQuery
from servicekit.csvfiles import CSV_ANSWER, EXPORT_PAGE, csv_response, paged, rows_of
from servicekit.runtime import runtime_of

COLUMNS = (
    "id",
    "kind",
    "reference",
    "order_id",
    "quote_id",
    "purchase_order_id",
    "filename",
    "content_type",
    "size",
    "sha256",
    "language",
    "download_path",
    "created_at",
)


def _row(document: Document) -> list[Any]:
    return [
        document.id,
        document.kind.value,
        document.reference,
        document.order_id,
        document.quote_id,
        document.purchase_order_id,
        document.filename,
        document.content_type,
        document.size,
        document.sha256,
        document.language,
        download_path(document.id),
        document.created_at,
    ]


def build_exports_router() -> APIRouter:
    router = APIRouter(tags=["documents"])

    @router.get("/exports/documents.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
    async def export_documents(request: Request, where: DocumentQuery) -> StreamingResponse:
        """Documents, oldest first, with the filters of `GET /documents`, one row each (the
        metadata; the files themselves at `download_path`)."""
        sessionmaker = runtime_of(request).sessionmaker

        async def read(after: tuple[datetime, uuid.UUID] | None) -> tuple[list[Document], bool]:
            async with sessionmaker() as session, session.begin():
                found = await SqlUnitOfWork(session).documents.list(
                    **where.arguments(), after=after, limit=EXPORT_PAGE + 1
                )
            return found[:EXPORT_PAGE], len(found) > EXPORT_PAGE

        found = paged(read, _position)
        return csv_response("documents.csv", COLUMNS, rows_of(found, _row))

    return router


def _position(document: Document) -> tuple[datetime, uuid.UUID]:
    assert document.created_at is not None  # a stored document has its creation time
    return document.created_at, document.id
