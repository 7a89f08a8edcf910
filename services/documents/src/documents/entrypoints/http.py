"""HTTP API of the documents service: documents (list, read, download, e-mail) and e-mails.

Templates have a router of their own (`http_templates.py`).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.emails import (
    EMAIL_ADDRESS,
    MAX_MESSAGE,
    MAX_RECIPIENTS,
    Email,
    EmailStatus,
    IllegalTransition,
)
from documents.domain.model import Document, DocumentKind
from documents.entrypoints.sender import EmailSender
from documents.service_layer.mailing import (
    DocumentNotFound,
    EmailNotFound,
    EmailRequest,
    queue_email,
    retry_email,
)
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.reading import ContentUnavailable, document_content
from servicekit.auth import Role, current_actor, require
from servicekit.http import (
    Conflict,
    InvalidInput,
    NotFound,
    Problem,
    decode_cursor,
    encode_cursor,
    idempotent,
)
from servicekit.observability import current_correlation_id
from servicekit.runtime import runtime_of

log = logging.getLogger(__name__)

SALES = [Depends(require(Role.SALES))]  # admin may do everything as well
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters


class RequestBody(BaseModel):
    """Base of request bodies: unknown fields are refused, no text may contain NUL."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class StoredFileUnavailable(Problem):
    status = 500
    title = "Stored document unavailable"


# --- shared helpers ---------------------------------------------------------------------------


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessionmaker() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=500, description="From `next_cursor`")]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Retrying with the same key returns the first response"),
]


def position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) a page resumes after."""
    found = decode_cursor(cursor)
    if found is None:
        return None
    try:
        return datetime.fromisoformat(found["created_at"]), uuid.UUID(found["id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput.field("query.cursor", "not a cursor this service issued") from None


def next_cursor(page: list[Any], more: bool) -> str | None:
    """A cursor after the last item of `page` (anything with `created_at` and `id`)."""
    if not more:
        return None
    last = page[-1]
    return encode_cursor({"created_at": last.created_at, "id": str(last.id)})


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match header with our ETag."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def file_headers(sha256: str) -> dict[str, str]:
    """Caching headers of a stored file: its checksum is its ETag."""
    return {"ETag": f'"{sha256}"', "Cache-Control": "private, no-cache"}


def not_modified(sha256: str, if_none_match: str | None) -> bool:
    return bool(if_none_match) and _matches(if_none_match or "", f'"{sha256}"')


# --- documents --------------------------------------------------------------------------------


class DocumentRead(BaseModel):
    """A generated document: of an order (`order_id`) or, for a quotation, of a quote."""

    id: uuid.UUID
    order_id: str | None = Field(description="The order; null for a quotation")
    quote_id: str | None = Field(default=None, description="The quote of a quotation")
    kind: DocumentKind
    reference: str = Field(description="The order, invoice or quote number the document shows")
    filename: str
    content_type: str
    size: int
    sha256: str
    download_path: str
    template_id: str | None = Field(default=None, description="The template the order asked for")
    language: str | None = Field(default=None, description="Of the labels; null: English")
    created_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentRead:
        assert document.created_at is not None
        return cls(
            id=document.id,
            order_id=document.order_id,
            quote_id=document.quote_id,
            kind=document.kind,
            reference=document.reference,
            filename=document.filename,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            download_path=document.download_path,
            template_id=document.template_id,
            language=document.language,
            created_at=document.created_at,
        )


class DocumentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "One page of documents"})

    items: list[DocumentRead]
    next_cursor: str | None


DocumentId = Annotated[uuid.UUID, Path(description="The document's id")]


async def _document(session: AsyncSession, document_id: uuid.UUID) -> Document:
    document = await SqlUnitOfWork(session).documents.get(document_id)
    if document is None:
        raise NotFound(f"document {document_id} does not exist")
    return document


# --- e-mails ----------------------------------------------------------------------------------


def _address(value: str) -> str:
    if not EMAIL_ADDRESS.match(value):
        raise ValueError("not an e-mail address (plain ASCII addr-spec, e.g. name@example.com)")
    return value


def _no_control(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value


EmailAddress = Annotated[str, Field(min_length=3, max_length=200), AfterValidator(_address)]


class EmailCreate(RequestBody):
    """Send the document as a PDF attachment."""

    to: list[EmailAddress] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    cc: list[EmailAddress] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    subject: Annotated[
        str | None,
        Field(
            default=None,
            min_length=1,
            max_length=200,
            description='Default: the document\'s title and number, e.g. "Invoice INV-2026-000001"',
        ),
        AfterValidator(_no_control),
    ] = None
    message: str = Field(min_length=1, max_length=MAX_MESSAGE, description="Plain text")


class EmailRead(BaseModel):
    """One e-mail of a document and where its delivery stands."""

    id: uuid.UUID
    document_id: uuid.UUID
    order_id: str | None
    quote_id: str | None
    to: list[str]
    cc: list[str]
    subject: str
    message: str
    status: EmailStatus
    attempts: int = Field(description="Attempts so far (since it was last queued by hand)")
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    requested_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, email: Email) -> EmailRead:
        assert email.created_at is not None
        assert email.updated_at is not None
        return cls(
            id=email.id,
            document_id=email.document_id,
            order_id=email.order_id,
            quote_id=email.quote_id,
            to=email.to,
            cc=email.cc,
            subject=email.subject,
            message=email.message,
            status=email.status,
            attempts=email.attempts,
            next_attempt_at=email.next_attempt_at,
            last_attempt_at=email.last_attempt_at,
            last_error=email.last_error,
            sent_at=email.sent_at,
            requested_by=email.requested_by,
            created_at=email.created_at,
            updated_at=email.updated_at,
        )


class EmailList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "One page of e-mails"})

    items: list[EmailRead]
    next_cursor: str | None


EmailId = Annotated[uuid.UUID, Path(description="The e-mail's id")]


# --- routers ----------------------------------------------------------------------------------


def build_router(storage: DocumentStorage, sender: EmailSender | None = None) -> APIRouter:
    """The documents API, reading files from `storage`; `sender` is woken by new e-mails."""
    router = APIRouter(prefix="/documents", tags=["documents"])

    def wake_sender() -> None:
        if sender is not None:
            sender.wake()

    @router.get("", response_model=DocumentList)
    async def list_documents(
        session: Session,
        order_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
        quote_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
        kind: Annotated[DocumentKind | None, Query()] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> DocumentList:
        """Documents, oldest first, optionally of one order or quote and/or one kind."""
        found = await SqlUnitOfWork(session).documents.list(
            order_id=order_id,
            quote_id=quote_id,
            kind=kind,
            after=position(cursor),
            limit=limit + 1,
        )
        page, more = found[:limit], len(found) > limit
        return DocumentList(
            items=[DocumentRead.of(d) for d in page], next_cursor=next_cursor(page, more)
        )

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
        dependencies=SALES,
        responses={404: {"description": "No such document"}},
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
        runtime = runtime_of(request)
        email_request = EmailRequest(
            to=body.to, cc=body.cc, subject=body.subject, message=body.message
        )
        async with runtime.sessionmaker() as session, session.begin():

            async def create() -> tuple[int, Any]:
                try:
                    email = await queue_email(
                        SqlUnitOfWork(session),
                        document_id,
                        email_request,
                        requested_by=current_actor(),
                        correlation_id=current_correlation_id(),
                    )
                except DocumentNotFound as exc:
                    raise NotFound(str(exc)) from None
                return 202, EmailRead.of(email).model_dump(mode="json")

            status, content = await idempotent(
                session,
                runtime.metadata,
                scope="documents.email",
                key=idempotency_key,
                body={"document_id": str(document_id), **body.model_dump(mode="json")},
                create=create,
            )
        wake_sender()
        return JSONResponse(content, status_code=status)

    return router


def build_emails_router(sender: EmailSender | None = None) -> APIRouter:
    """E-mails of documents: read them, queue a failed one again."""
    router = APIRouter(prefix="/emails", tags=["emails"])

    @router.get("", response_model=EmailList)
    async def list_emails(
        session: Session,
        document_id: Annotated[uuid.UUID | None, Query()] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> EmailList:
        """E-mails, oldest first, optionally of one document."""
        found = await SqlUnitOfWork(session).emails.list(
            document_id=document_id, after=position(cursor), limit=limit + 1
        )
        page, more = found[:limit], len(found) > limit
        return EmailList(items=[EmailRead.of(e) for e in page], next_cursor=next_cursor(page, more))

    @router.get("/{email_id}", response_model=EmailRead)
    async def get_email(session: Session, email_id: EmailId) -> EmailRead:
        """One e-mail: its recipients, status, attempts and last error."""
        email = await SqlUnitOfWork(session).emails.get(email_id)
        if email is None:
            raise NotFound(f"e-mail {email_id} does not exist")
        return EmailRead.of(email)

    @router.post(
        "/{email_id}/retry",
        status_code=202,
        response_model=EmailRead,
        dependencies=SALES,
        responses={404: {"description": "No such e-mail"}, 409: {"description": "Not failed"}},
    )
    async def retry(request: Request, email_id: EmailId) -> EmailRead:
        """Queue a failed e-mail again, with a fresh set of attempts."""
        async with runtime_of(request).sessionmaker() as session, session.begin():
            try:
                email = await retry_email(SqlUnitOfWork(session), email_id)
            except EmailNotFound as exc:
                raise NotFound(str(exc)) from None
            except IllegalTransition as exc:
                raise Conflict(str(exc)) from None
        if sender is not None:
            sender.wake()
        return EmailRead.of(email)

    return router
