"""A document's PDF, fetched from the documents service as the user and shown inline; e-mailing
it to the customer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from console.entrypoints.i18n import N_
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    safe_next,
    see_other,
)
from console.service_layer.ports import Json, ServiceError

router = APIRouter(dependencies=[Depends(check_csrf)])


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


@router.post("/documents/{document_id}/email")
async def email_document(
    request: Request,
    document_id: str,
    user: CurrentUser,
    api: Api,
    to: Annotated[str, Form(max_length=1000)] = "",
    message: Annotated[str, Form(max_length=10000)] = "",
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Queue the PDF for e-mail (the documents service sends and retries it)."""
    body: Json = {
        "to": [address.strip() for address in to.replace(";", ",").split(",") if address.strip()],
        "message": message.strip() or "Please find the document attached.",
    }
    try:
        await api.email_document(
            user.token, document_id, body, idempotency_key or str(uuid.uuid4())
        )
    except ServiceError as error:
        return error_page(request, error)
    return see_other(request, safe_next(next), flash=N_("The e-mail is on its way."))
