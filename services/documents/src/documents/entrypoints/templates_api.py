"""HTTP API of document templates: administrators change them, every role reads them."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from documents.adapters.images import decode_letterhead
from documents.domain.templates import InvalidTemplate, LetterheadImage
from documents.entrypoints.common import (
    REFUSALS,
    IfNoneMatch,
    ReadingUnitOfWork,
    create_once,
    file_headers,
    in_transaction,
    not_modified,
    position,
)
from documents.entrypoints.templates_schemas import (
    TemplateCreate,
    TemplateId,
    TemplatePage,
    TemplateRead,
    TemplateUpdate,
)
from documents.service_layer import templating
from documents.service_layer.templating import KEEP, Keep
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.api import Cursor, IdempotencyKey, Limit, described_problems, problems_from
from servicekit.auth import Role, require_for_changes
from servicekit.http import InvalidInput, NotFound
from servicekit.pagination import created_at_and_id_of, page_of


async def _image(encoded: str | None) -> LetterheadImage | None:
    """Decode and verify the image (in a worker thread: decoding is CPU work)."""
    if encoded is None:
        return None
    try:
        return await asyncio.to_thread(decode_letterhead, encoded)
    except InvalidTemplate as exc:
        raise InvalidInput.field(f"body.{exc.field}", exc.message) from None


def build_templates_router() -> APIRouter:
    router = APIRouter(
        prefix="/templates",
        tags=["templates"],
        dependencies=[Depends(require_for_changes(Role.ADMIN))],
    )

    @router.post("", status_code=201, response_model=TemplateRead)
    async def create_template(
        request: Request, body: TemplateCreate, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Create a template (administrators)."""
        look = body.look(await _image(body.letterhead_image))

        async def create(uow: UnitOfWork) -> TemplateRead:
            return TemplateRead.of(await templating.create_template(uow, body.name, look))

        return await create_once(
            request,
            scope="templates",
            idempotency_key=idempotency_key,
            body=body.model_dump(mode="json"),
            create=create,
            status=201,
        )

    @router.get("", response_model=TemplatePage)
    async def list_templates(
        uow: ReadingUnitOfWork, limit: Limit = 50, cursor: Cursor = None
    ) -> TemplatePage:
        """Templates, oldest first."""
        found = await uow.templates.list(after=position(cursor), limit=limit + 1)
        reads = [TemplateRead.of(template) for template in found]
        items, next_cursor = page_of(reads, limit, created_at_and_id_of)
        return TemplatePage(items=items, next_cursor=next_cursor)

    @router.get("/{template_id}", response_model=TemplateRead)
    async def get_template(uow: ReadingUnitOfWork, template_id: TemplateId) -> TemplateRead:
        """One template (its image is at `letterhead.path`)."""
        with problems_from(REFUSALS):
            return TemplateRead.of(await templating.get_template(uow, template_id))

    @router.put("/{template_id}", response_model=TemplateRead)
    async def update_template(
        request: Request, template_id: TemplateId, body: TemplateUpdate
    ) -> TemplateRead:
        """Replace a template's content (administrators)."""
        letterhead: LetterheadImage | Keep | None = KEEP
        if "letterhead_image" in body.model_fields_set:
            letterhead = await _image(body.letterhead_image)

        async def update(uow: UnitOfWork) -> TemplateRead:
            template = await templating.update_template(
                uow, template_id, body.name, body.look(None), letterhead
            )
            return TemplateRead.of(template)

        return await in_transaction(request, update)

    @router.delete("/{template_id}", response_model=TemplateRead)
    async def delete_template(request: Request, template_id: TemplateId) -> TemplateRead:
        """Delete a template (administrators); the default template cannot be deleted (409).

        Documents printed with it keep their files; orders that still name it are printed in
        the default template from now on.
        """

        async def delete(uow: UnitOfWork) -> TemplateRead:
            return TemplateRead.of(await templating.delete_template(uow, template_id))

        return await in_transaction(request, delete)

    @router.post("/{template_id}/default", response_model=TemplateRead)
    async def make_default(request: Request, template_id: TemplateId) -> TemplateRead:
        """Make this the default template: used when an order names a template that does not
        exist (administrators)."""

        async def make(uow: UnitOfWork) -> TemplateRead:
            return TemplateRead.of(await templating.make_default(uow, template_id))

        return await in_transaction(request, make)

    @router.get(
        "/{template_id}/letterhead",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image"},
            304: {"description": "Unchanged (If-None-Match)"},
            **described_problems({404: "No such template, or it has no image"}),
        },
    )
    async def get_letterhead(
        uow: ReadingUnitOfWork, template_id: TemplateId, if_none_match: IfNoneMatch = None
    ) -> Response:
        """The template's letterhead image."""
        with problems_from(REFUSALS):
            template = await templating.get_template(uow, template_id)
        image = template.look.letterhead
        if image is None:
            raise NotFound(f"template {template_id} has no letterhead image")
        headers = file_headers(image.sha256)
        if not_modified(image.sha256, if_none_match):
            return Response(status_code=304, headers=headers)
        return Response(image.content, media_type=image.content_type, headers=headers)

    return router
