"""HTTP API of the documents service: list documents, read one, download its PDF."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import DocumentKind as ContractKind
from documents.adapters.repository import SqlDocumentRepository
from documents.adapters.storage import DocumentStorage
from documents.domain.model import Document, DocumentKind
from documents.service_layer.reading import ContentUnavailable, document_content
from servicekit.http import InvalidInput, NotFound, Problem, decode_cursor, encode_cursor
from servicekit.runtime import runtime_of

log = logging.getLogger(__name__)


class StoredFileUnavailable(Problem):
    status = 500
    title = "Stored document unavailable"


class DocumentRead(BaseModel):
    """A generated document."""

    id: uuid.UUID
    order_id: str
    kind: ContractKind
    reference: str = Field(description="The order or invoice number the document shows")
    filename: str
    content_type: str
    size: int
    sha256: str
    download_path: str
    created_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentRead:
        assert document.created_at is not None
        return cls(
            id=document.id,
            order_id=document.order_id,
            kind=ContractKind(document.kind.value),
            reference=document.reference,
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            download_path=document.download_path,
            created_at=document.created_at,
        )


class DocumentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "One page of documents"})

    items: list[DocumentRead]
    next_cursor: str | None


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]
DocumentId = Annotated[uuid.UUID, Path(description="The document's id")]


def _position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return datetime.fromisoformat(position["created_at"]), uuid.UUID(position["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None


async def _document(session: AsyncSession, document_id: uuid.UUID) -> Document:
    document = await SqlDocumentRepository(session).get(document_id)
    if document is None:
        raise NotFound(f"document {document_id} does not exist")
    return document


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match header with our ETag."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def build_router(storage: DocumentStorage) -> APIRouter:
    """The documents API, reading files from `storage`."""
    router = APIRouter(prefix="/documents", tags=["documents"])

    @router.get("", response_model=DocumentList)
    async def list_documents(
        session: Session,
        order_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        kind: Annotated[ContractKind | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> DocumentList:
        """Documents, oldest first, optionally of one order and/or one kind."""
        found = await SqlDocumentRepository(session).list(
            order_id=order_id,
            kind=DocumentKind(kind.value) if kind else None,
            after=_position(cursor),
            limit=limit + 1,
        )
        page, more = found[:limit], len(found) > limit
        next_cursor = None
        if more:
            last = page[-1]
            next_cursor = encode_cursor({"created_at": last.created_at, "id": str(last.id)})
        return DocumentList(items=[DocumentRead.of(d) for d in page], next_cursor=next_cursor)

    @router.get("/{document_id}", response_model=DocumentRead)
    async def get_document(session: Session, document_id: DocumentId) -> DocumentRead:
        """One document's metadata."""
        return DocumentRead.of(await _document(session, document_id))

    @router.get(
        "/{document_id}/content",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The document's file"},
            304: {"description": "Unchanged (If-None-Match)"},
            404: {"description": "No such document"},
            500: {"description": "The stored file is missing or corrupted"},
        },
    )
    async def get_document_content(
        session: Session,
        document_id: DocumentId,
        if_none_match: Annotated[str | None, Header(max_length=500)] = None,
    ) -> Response:
        """The document's file, verified against its SHA-256 (which is also its ETag)."""
        document = await _document(session, document_id)
        await session.close()  # release the connection before reading the file
        etag = f'"{document.sha256}"'
        headers: dict[str, Any] = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if if_none_match and _matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        try:
            content = await document_content(document, storage)
        except ContentUnavailable as exc:
            log.error("cannot serve document %s: %s", document.id, exc)
            raise StoredFileUnavailable(str(exc), document_id=str(document.id)) from exc
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        return Response(content, media_type=document.content_type, headers=headers)

    return router
