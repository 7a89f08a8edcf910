"""Notes and files on orders, quotes and customers over HTTP.

A file is uploaded as the request body with its media type as `Content-Type` and its name in
`filename` (`POST /orders/{id}/files?filename=offer.pdf`): 413 beyond `ORDERS_FILE_MAX_BYTES`,
415 for a type not in `ORDERS_FILE_TYPES` or content that is not of the type declared.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from orders.config import OrdersSettings
from orders.domain.attachments import RefusedType, StoredFile, Subject, TooLarge, media_type
from orders.entrypoints import notes_schemas
from orders.entrypoints.common import PROBLEMS, SALES, run_query
from orders.service_layer import notes
from orders.service_layer.unit_of_work import TimelineEntry
from servicekit.api import ErrorTable, described_problems, problems_from
from servicekit.http import NotFound, Problem
from servicekit.runtime import runtime_of

router = APIRouter(tags=["notes and files"])


class ContentTooLarge(Problem):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"


ERRORS: ErrorTable = {
    notes.FileNotFound: NotFound,
    TooLarge: lambda exc: ContentTooLarge(str(exc), limit_bytes=exc.limit),
    RefusedType: UnsupportedMediaType,
}
UPLOAD_PROBLEMS = {
    **PROBLEMS,
    **described_problems(
        {
            413: "The file is larger than ORDERS_FILE_MAX_BYTES (`limit_bytes`)",
            415: "The type is not accepted, or the content is not of the type declared",
        }
    ),
}
BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _note_read(entry: TimelineEntry) -> notes_schemas.NoteRead:
    return notes_schemas.NoteRead(
        note_id=entry.data["note_id"],
        text=entry.data["text"],
        author=entry.actor,
        created_at=entry.occurred_at,
    )


def _file_read(plural: str, stored: StoredFile) -> notes_schemas.FileRead:
    return notes_schemas.FileRead(
        id=stored.id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=stored.uploaded_by,
        created_at=stored.created_at,
        download_path=f"/{plural}/{stored.subject_id}/files/{stored.id}",
    )


async def _body_within(request: Request, limit: int) -> bytes:
    """The request body, refused (TooLarge) as soon as it is known to exceed `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _routes(subject: Subject) -> None:
    """The notes and files routes of one kind of record."""
    plural = f"{subject.value}s"
    base = f"/{plural}/{{record_id}}"

    @router.post(
        f"{base}/notes",
        dependencies=SALES,
        status_code=201,
        response_model=notes_schemas.NoteRead,
        responses=PROBLEMS,
        name=f"add_{subject.value}_note",
        summary=f"Add a note to a {subject.value}",
        description=f"A note with its author and time, on the {subject.value}'s timeline.",
    )
    async def add_note(
        record_id: str, body: notes_schemas.NoteCreate, request: Request
    ) -> notes_schemas.NoteRead:
        return _note_read(await run_query(request, notes.add_note, subject, record_id, body.text))

    @router.get(
        f"{base}/notes",
        response_model=notes_schemas.NotePage,
        responses=PROBLEMS,
        name=f"list_{subject.value}_notes",
        summary=f"The notes of a {subject.value}, oldest first",
    )
    async def list_notes(record_id: str, request: Request) -> notes_schemas.NotePage:
        found = await run_query(request, notes.list_notes, subject, record_id)
        return notes_schemas.NotePage(items=[_note_read(e) for e in found])

    @router.post(
        f"{base}/files",
        dependencies=SALES,
        status_code=201,
        response_model=notes_schemas.FileRead,
        responses=UPLOAD_PROBLEMS,
        openapi_extra=BINARY_BODY,
        name=f"attach_{subject.value}_file",
        summary=f"Attach a file to a {subject.value}",
        description="The body is the file, `Content-Type` its media type; 413 when too large, "
        "415 for a type not accepted or content not of the type declared.",
    )
    async def attach_file(
        record_id: str,
        request: Request,
        filename: Annotated[str, Query(min_length=1, max_length=255)],
    ) -> notes_schemas.FileRead:
        settings: OrdersSettings = runtime_of(request).settings  # type: ignore[assignment]
        with problems_from(ERRORS):
            content = await _body_within(request, settings.file_max_bytes)
            stored = await run_query(
                request,
                notes.attach_file,
                subject,
                record_id,
                filename=filename,
                content_type=media_type(request.headers.get("content-type")),
                content=content,
                allowed_types=settings.file_types,
            )
        return _file_read(plural, stored)

    @router.get(
        f"{base}/files",
        response_model=notes_schemas.FilePage,
        responses=PROBLEMS,
        name=f"list_{subject.value}_files",
        summary=f"The files of a {subject.value}, oldest first",
    )
    async def list_files(record_id: str, request: Request) -> notes_schemas.FilePage:
        found = await run_query(request, notes.list_files, subject, record_id)
        return notes_schemas.FilePage(items=[_file_read(plural, f) for f in found])

    @router.get(
        f"{base}/files/{{file_id}}",
        response_class=Response,
        responses={200: {"content": {"*/*": {}}, "description": "The file"}, **PROBLEMS},
        name=f"download_{subject.value}_file",
        summary=f"Download a file of a {subject.value}",
    )
    async def download_file(record_id: str, file_id: str, request: Request) -> Response:
        with problems_from(ERRORS):
            stored, content = await run_query(request, notes.get_file, subject, record_id, file_id)
        return Response(
            content,
            media_type=stored.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{stored.filename}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    @router.delete(
        f"{base}/files/{{file_id}}",
        dependencies=SALES,
        status_code=204,
        responses=PROBLEMS,
        name=f"remove_{subject.value}_file",
        summary=f"Remove a file of a {subject.value}",
    )
    async def remove_file(record_id: str, file_id: str, request: Request) -> Response:
        with problems_from(ERRORS):
            await run_query(request, notes.remove_file, subject, record_id, file_id)
        return Response(status_code=204)


for _subject in Subject:
    _routes(_subject)
