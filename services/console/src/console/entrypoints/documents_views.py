"""A document's PDF, fetched from the documents service as the user and shown inline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.entrypoints.web import Api, CurrentUser, error_page
from console.service_layer.ports import ServiceError

router = APIRouter()


@router.get("/documents/{document_id}/content")
async def document_content(
    request: Request, document_id: str, user: CurrentUser, api: Api
) -> Response:
    try:
        download = await api.document_content(user.token, document_id)
    except ServiceError as error:
        return error_page(request, error)
    safe_name = "".join(c for c in download.filename if c.isalnum() or c in "._-") or "document"
    return Response(
        download.content,
        media_type=download.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{safe_name}"',
            # this console's own pages may show it in a frame; nothing else may
            "Content-Security-Policy": "frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )
