"""HTTP API of printed customer statements: list, read, download (billing asks for them:
`POST /customers/{id}/statements` there; the PDF is here once printed)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from documents.domain.statements import StatementDocument
from documents.entrypoints.common import (
    IfNoneMatch,
    ReadingUnitOfWork,
    file_headers,
    not_modified,
    position,
)
from documents.entrypoints.documents_api import StoredFileUnavailable
from documents.entrypoints.statements_schemas import StatementId, StatementPage, StatementRead
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.reading import ContentUnavailable, document_content
from documents.service_layer.statements import StatementFilter
from servicekit.api import NO_NUL, Cursor, Limit, described_problems
from servicekit.http import NotFound
from servicekit.pagination import created_at_and_id_of, page_of
from servicekit.viewing import CallerViewer as ViewerDep
from servicekit.visibility import Viewer

log = logging.getLogger(__name__)


async def _statement(
    uow: ReadingUnitOfWork, statement_id: StatementId, viewer: Viewer
) -> StatementDocument:
    """The statement, if it is printed and the viewer may see its customer (else 404)."""
    statement = await uow.statements.get(statement_id)
    if statement is None or not viewer.sees(statement.owner, statement.team):
        raise NotFound(f"statement {statement_id} does not exist (or is not printed yet)")
    return statement


async def _filter(
    viewer: ViewerDep,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)] = None,
) -> StatementFilter:
    return StatementFilter(customer_id=customer_id, viewer=viewer)


# The filter of the statements (their list and their export), the caller's visibility included.
StatementQuery = Annotated[StatementFilter, Depends(_filter)]


def build_statements_router(storage: DocumentStorage) -> APIRouter:
    router = APIRouter(prefix="/statements", tags=["statements"])

    @router.get("", response_model=StatementPage, response_model_by_alias=True)
    async def list_statements(
        uow: ReadingUnitOfWork, where: StatementQuery, limit: Limit = 50, cursor: Cursor = None
    ) -> StatementPage:
        """Printed statements, oldest first, optionally of one customer; only those of the
        customers the caller may see (DOCUMENTS_VISIBILITY)."""
        found = await uow.statements.list(where, after=position(cursor), limit=limit + 1)
        reads = [StatementRead.of(statement) for statement in found]
        items, next_cursor = page_of(reads, limit, created_at_and_id_of)
        return StatementPage(items=items, next_cursor=next_cursor)

    @router.get(
        "/{statement_id}",
        response_model=StatementRead,
        response_model_by_alias=True,
        responses=described_problems({404: "No such statement, or not printed yet"}),
    )
    async def get_statement(
        uow: ReadingUnitOfWork, viewer: ViewerDep, statement_id: StatementId
    ) -> StatementRead:
        """One printed statement's metadata."""
        return StatementRead.of(await _statement(uow, statement_id, viewer))

    @router.get(
        "/{statement_id}/content",
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "The statement's PDF"},
            304: {"description": "Unchanged (If-None-Match)"},
            **described_problems(
                {404: "No such statement", 500: "The stored file is missing or corrupted"}
            ),
        },
    )
    async def get_statement_content(
        uow: ReadingUnitOfWork,
        viewer: ViewerDep,
        statement_id: StatementId,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        """The statement's PDF, verified against its SHA-256 (which is also its ETag)."""
        statement = await _statement(uow, statement_id, viewer)
        await uow.session.close()
        headers = file_headers(statement.sha256)
        if not_modified(statement.sha256, if_none_match):
            return Response(status_code=304, headers=headers)
        try:
            content = await document_content(statement, storage)
        except ContentUnavailable as exc:
            log.error("cannot serve statement %s: %s", statement.id, exc)
            raise StoredFileUnavailable(str(exc), statement_id=str(statement.id)) from exc
        headers["Content-Disposition"] = f'attachment; filename="{statement.filename}"'
        return Response(content, media_type=statement.content_type, headers=headers)

    return router
