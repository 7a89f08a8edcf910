"""CSV exports of the documents, e-mails, printed statements and templates lists with their
filters (and, for statements, the caller's visibility), streamed a page at a time (each page read
in a short transaction of its own)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.model import Document, download_path
from documents.entrypoints.documents_api import DocumentQuery
from documents.entrypoints.emails_api import EmailDocumentQuery
from documents.entrypoints.emails_schemas import EmailRead
from documents.entrypoints.statements_api import StatementQuery
from documents.entrypoints.statements_schemas import StatementRead
from documents.entrypoints.templates_schemas import TemplateRead
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

        async def search(uow: SqlUnitOfWork, after: Position | None) -> Sequence[Document]:
            return await uow.documents.list(**where.arguments(), after=after, limit=EXPORT_PAGE + 1)

        found = paged(_reader(request, search), _position)
        return csv_response("documents.csv", COLUMNS, rows_of(found, _row))

    @router.get(
        "/exports/emails.csv",
        response_class=StreamingResponse,
        responses=CSV_ANSWER,
        tags=["emails"],
    )
    async def export_emails(
        request: Request, document_id: EmailDocumentQuery = None
    ) -> StreamingResponse:
        """E-mails, oldest first, with the filter of `GET /emails`, one row each (without the
        message text)."""

        async def search(uow: SqlUnitOfWork, after: Position | None) -> Sequence[EmailRead]:
            found = await uow.emails.list(
                document_id=document_id, after=after, limit=EXPORT_PAGE + 1
            )
            return [EmailRead.model_validate(email) for email in found]

        found = paged(_reader(request, search), _position)
        return csv_response("emails.csv", EMAIL_COLUMNS, rows_of(found, _email_row))

    @router.get(
        "/exports/statements.csv",
        response_class=StreamingResponse,
        responses=CSV_ANSWER,
        tags=["statements"],
    )
    async def export_statements(request: Request, where: StatementQuery) -> StreamingResponse:
        """Printed statements, oldest first, with the filter of `GET /statements` and only those
        of the customers the caller may see, one row each (the PDFs at `download_path`)."""

        async def search(uow: SqlUnitOfWork, after: Position | None) -> Sequence[StatementRead]:
            found = await uow.statements.list(where, after=after, limit=EXPORT_PAGE + 1)
            return [StatementRead.of(statement) for statement in found]

        found = paged(_reader(request, search), _position)
        return csv_response("statements.csv", STATEMENT_COLUMNS, rows_of(found, _statement_row))

    @router.get(
        "/exports/templates.csv",
        response_class=StreamingResponse,
        responses=CSV_ANSWER,
        tags=["templates"],
    )
    async def export_templates(request: Request) -> StreamingResponse:
        """Templates, oldest first, as `GET /templates` lists them, one row each (the letterhead
        image at `letterhead_path`; the company overrides left out)."""

        async def search(uow: SqlUnitOfWork, after: Position | None) -> Sequence[TemplateRead]:
            found = await uow.templates.list(after=after, limit=EXPORT_PAGE + 1)
            return [TemplateRead.of(template) for template in found]

        found = paged(_reader(request, search), _position)
        return csv_response("templates.csv", TEMPLATE_COLUMNS, rows_of(found, _template_row))

    return router


Position = tuple[datetime, uuid.UUID]


class _Created(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def created_at(self) -> datetime | None: ...


T = TypeVar("T", bound=_Created)


def _position(item: _Created) -> Position:
    assert item.created_at is not None  # a stored record has its creation time
    return item.created_at, item.id


def _reader(
    request: Request, search: Callable[[SqlUnitOfWork, Position | None], Awaitable[Sequence[T]]]
) -> Callable[[Position | None], Awaitable[tuple[Sequence[T], bool]]]:
    """`search(uow, after)` (asking for a page and one more) read in a short transaction."""
    sessionmaker = runtime_of(request).sessionmaker

    async def read(after: Position | None) -> tuple[Sequence[T], bool]:
        async with sessionmaker() as session, session.begin():
            found = await search(SqlUnitOfWork(session), after)
        return found[:EXPORT_PAGE], len(found) > EXPORT_PAGE

    return read


EMAIL_COLUMNS = (
    "id",
    "document_id",
    "milestone",
    "order_id",
    "quote_id",
    "to",
    "cc",
    "subject",
    "status",
    "attempts",
    "last_attempt_at",
    "next_attempt_at",
    "last_error",
    "sent_at",
    "requested_by",
    "created_at",
    "updated_at",
)


def _email_row(email: EmailRead) -> list[Any]:
    return [
        email.id,
        email.document_id,
        email.milestone,
        email.order_id,
        email.quote_id,
        " ".join(email.to),
        " ".join(email.cc),
        email.subject,
        email.status.value,
        email.attempts,
        email.last_attempt_at,
        email.next_attempt_at,
        email.last_error,
        email.sent_at,
        email.requested_by,
        email.created_at,
        email.updated_at,
    ]


STATEMENT_COLUMNS = (
    "id",
    "customer_id",
    "customer_name",
    "from",
    "to",
    "filename",
    "content_type",
    "size",
    "sha256",
    "download_path",
    "created_at",
)


def _statement_row(statement: StatementRead) -> list[Any]:
    return [
        statement.id,
        statement.customer_id,
        statement.customer_name,
        statement.from_,
        statement.to,
        statement.filename,
        statement.content_type,
        statement.size,
        statement.sha256,
        statement.download_path,
        statement.created_at,
    ]


TEMPLATE_COLUMNS = (
    "id",
    "name",
    "language",
    "is_default",
    "footer_text",
    "primary_color",
    "accent_color",
    "default_opening_text",
    "default_closing_text",
    "letterhead_path",
    "created_at",
    "updated_at",
)


def _template_row(template: TemplateRead) -> list[Any]:
    return [
        template.id,
        template.name,
        template.language,
        "true" if template.is_default else "false",
        template.footer_text,
        template.primary_color,
        template.accent_color,
        template.default_opening_text,
        template.default_closing_text,
        template.letterhead.path if template.letterhead else None,
        template.created_at,
        template.updated_at,
    ]
