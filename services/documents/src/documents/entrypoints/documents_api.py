"""HTTP API of documents: list, read, download, and queue an e-mail of one."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from documents.domain.model import Document, DocumentKind
from documents.entrypoints.common import (
    SENDERS,
    IfNoneMatch,
    ReadingUnitOfWork,
    WakeSender,
    create_once,
    file_headers,
    not_modified,
    position,
)
from documents.entrypoints.documents_schemas import DocumentId, DocumentPage, DocumentRead
from documents.entrypoints.emails_schemas import EmailCreate, EmailRead
from documents.service_layer.mailing import EmailRequest, queue_email
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.reading import ContentUnavailable, document_content
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.api import NO_NUL, Cursor, IdempotencyKey, Limit, described_problems
from servicekit.auth import current_actor
from servicekit.http import NotFound, Problem
from servicekit.observability import current_correlation_id
from servicekit.pagination import created_at_and_id_of, page_of

log = logging.getLogger(__name__)

OwnerId = Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)]


@dataclass(frozen=True)
class DocumentFilter:
    order_id: str | None = None
    quote_id: str | None = None
    purchase_order_id: str | None = None
    kind: DocumentKind | None = None

    def arguments(self) -> dict[str, Any]:
        """As the repository's `list` takes them."""
        return dataclasses.asdict(self)


async def _filter(
    order_id: OwnerId = None,
    quote_id: OwnerId = None,
    purchase_order_id: OwnerId = None,
    kind: Annotated[DocumentKind | None, Query()] = None,
) -> DocumentFilter:
    return DocumentFilter(order_id, quote_id, purchase_order_id, kind)


# The filters of the documents (their list and their export).
DocumentQuery = Annotated[DocumentFilter, Depends(_filter)]


class StoredFileUnavailable(Problem):
    status = 500
    title = "Stored document unavailable"


async def _document(uow: UnitOfWork, document_id: DocumentId) -> Document:
    document = await uow.documents.get(document_id)
    if document is None:
        raise NotFound(f"document {document_id} does not exist")
    return document


def build_documents_router(storage: DocumentStorage, wake_sender: WakeSender) -> APIRouter:
    """The documents API, reading files from `storage`; `wake_sender` after a queued e-mail."""
    router = APIRouter(prefix="/documents", tags=["documents"])

    @router.get("", response_model=DocumentPage)
    async def list_documents(
        uow: ReadingUnitOfWork, where: DocumentQuery, limit: Limit = 50, cursor: Cursor = None
    ) -> DocumentPage:
        """Documents, oldest first, optionally of one order, quote or purchase order and/or one
        kind."""
        found = await uow.documents.list(
            **where.arguments(), after=position(cursor), limit=limit + 1
        )
        reads = [DocumentRead.model_validate(document) for document in found]
        items, next_cursor = page_of(reads, limit, created_at_and_id_of)
        return DocumentPage(items=items, next_cursor=next_cursor)

    @router.get("/{document_id}", response_model=DocumentRead)
    async def get_document(uow: ReadingUnitOfWork, document_id: DocumentId) -> DocumentRead:
        """One document's metadata."""
        return DocumentRead.model_validate(await _document(uow, document_id))

    @router.get(
        "/{document_id}/content",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The document's file"},
            304: {"description": "Unchanged (If-None-Match)"},
            **described_problems(
                {404: "No such document", 500: "The stored file is missing or corrupted"}
            ),
        },
    )
    async def get_document_content(
        uow: ReadingUnitOfWork, document_id: DocumentId, if_none_match: IfNoneMatch = None
    ) -> Response:
        """The document's file, verified against its SHA-256 (which is also its ETag)."""
        document = await _document(uow, document_id)
        await uow.session.close()  # release the connection before reading the file
        headers = file_headers(document.sha256)
        if not_modified(document.sha256, if_none_match):
            return Response(status_code=304, headers=headers)
        try:
            content = await document_content(document, storage)
        except ContentUnavailable as exc:
            log.error("cannot serve document %s: %s", document.id, exc)
            raise StoredFileUnavailable(str(exc), document_id=str(document.id)) from exc
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        return Response(content, media_type=document.content_type, headers=headers)

    @router.post(
        "/{document_id}/email",
        status_code=202,
        response_model=EmailRead,
        dependencies=SENDERS,
        responses=described_problems({404: "No such document"}),
    )
    async def email_document(
        request: Request,
        document_id: DocumentId,
        body: EmailCreate,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        """Queue an e-mail of the document (PDF attached); it is sent in the background.

        The outcome (sent, or failed after the configured attempts) is announced as
        `suite.document.emailed.v1` and readable at `GET /emails/{id}`.
        """
        email_request = EmailRequest(
            to=body.to, cc=body.cc, subject=body.subject, message=body.message
        )

        async def create(uow: UnitOfWork) -> EmailRead:
            email = await queue_email(
                uow,
                document_id,
                email_request,
                requested_by=current_actor(),
                correlation_id=current_correlation_id(),
            )
            return EmailRead.model_validate(email)

        response = await create_once(
            request,
            scope="documents.email",
            idempotency_key=idempotency_key,
            body={"document_id": str(document_id), **body.model_dump(mode="json")},
            create=create,
            status=202,
        )
        wake_sender()
        return response

    return router
