"""What people add to an order's card besides its state: notes and files (orders service), and
a shipment's delivery confirmed by the warehouse (inventory). Mounted before the order actions,
whose `/orders/{id}/{action}` would otherwise take these paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response

from console.entrypoints.i18n import N_
from console.entrypoints.orders_views import card_again
from console.entrypoints.web import (
    Api,
    CurrentUser,
    check_csrf,
    error_page,
    perform,
    safe_next,
)
from console.service_layer.ports import Download, ServiceError, path

router = APIRouter(dependencies=[Depends(check_csrf)])

MAX_FILE_BYTES = 100 * 1024 * 1024  # the orders service's own limit (413) is usually lower


@router.post("/orders/{order_id}/notes")
async def add_note(
    request: Request,
    order_id: str,
    user: CurrentUser,
    api: Api,
    text: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    target = path("/orders/{}/notes", order_id)

    return await perform(
        request,
        lambda: api.command(user.token, "orders", target, {"text": text.strip()}),
        then=f"/orders/{order_id}#notes",
        flash=N_("Note added."),
        refused=lambda error: card_again(request, user, api, order_id, error),
    )


@router.post("/orders/{order_id}/files")
async def attach_file(
    request: Request, order_id: str, user: CurrentUser, api: Api, file: UploadFile
) -> Response:
    """The file as the person chose it; the orders service checks its type and size."""
    content = await file.read(MAX_FILE_BYTES + 1)
    upload = Download(
        content, file.content_type or "application/octet-stream", file.filename or "file"
    )
    target = path("/orders/{}/files", order_id)

    return await perform(
        request,
        lambda: api.upload(user.token, "orders", target, upload, {"filename": upload.filename}),
        then=f"/orders/{order_id}#notes",
        flash=N_("File attached."),
        refused=lambda error: card_again(request, user, api, order_id, error),
    )


@router.get("/orders/{order_id}/files/{file_id}")
async def download_file(
    request: Request, order_id: str, file_id: str, user: CurrentUser, api: Api
) -> Response:
    """Always as an attachment: a file someone uploaded is never shown in the console's page."""
    try:
        found = await api.download(
            user.token, "orders", path("/orders/{}/files/{}", order_id, file_id)
        )
    except ServiceError as error:
        return error_page(request, error)
    safe_name = "".join(c for c in found.filename if c.isalnum() or c in "._-") or "file"
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )


@router.post("/shipments/{shipment_id}/delivered")
async def confirm_delivery(
    request: Request,
    shipment_id: str,
    user: CurrentUser,
    api: Api,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """The carrier delivered it (warehouse); a refusal is shown on the order's card."""
    back = safe_next(next, "/orders")
    target = path("/shipments/{}/delivered", shipment_id)

    async def refused(error: ServiceError) -> Response:
        if back.startswith("/orders/"):
            return await card_again(request, user, api, back.removeprefix("/orders/"), error)
        return error_page(request, error)

    return await perform(
        request,
        lambda: api.command(user.token, "inventory", target, {}),
        then=back,
        flash=N_("Delivery confirmed."),
        refused=refused,
    )
