"""HTTP API of document templates: administrators change them, every role reads them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from documents.adapters.images import decode_letterhead
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.labels import SUPPORTED_LANGUAGES, UnsupportedLanguage, check_language
from documents.domain.templates import (
    MAX_IMAGE_BYTES,
    CompanyDetails,
    InvalidTemplate,
    LetterheadImage,
    Look,
    Template,
    check_colour,
)
from documents.entrypoints.http import (
    Cursor,
    IdempotencyKey,
    Limit,
    RequestBody,
    Session,
    file_headers,
    next_cursor,
    not_modified,
    position,
)
from documents.service_layer import templating
from documents.service_layer.templating import KEEP, Keep, TemplateConflict, TemplateNotFound
from servicekit.auth import Role, require_for_changes
from servicekit.http import Conflict, InvalidInput, NotFound, idempotent
from servicekit.runtime import runtime_of

COLOUR = r"^#[0-9A-Fa-f]{6}$"
MAX_BASE64 = (MAX_IMAGE_BYTES + 2) // 3 * 4 + 200  # room for a data: prefix and line breaks


def _language(value: str) -> str:
    try:
        return check_language(value)
    except UnsupportedLanguage as exc:
        raise ValueError(str(exc)) from None


Language = Annotated[
    str,
    Field(
        min_length=2,
        max_length=35,
        description=f"BCP 47 tag; labels exist for: {', '.join(SUPPORTED_LANGUAGES)}",
        examples=["es", "ru", "en-GB"],
    ),
    AfterValidator(_language),
]
Colour = Annotated[str, Field(pattern=COLOUR, description="#RRGGBB", examples=["#1F4E79"])]
LongText = Annotated[str, Field(max_length=4000)]


class CompanyOverrides(RequestBody):
    """Overrides of the company block; what is left out keeps the deployment's settings."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    address: Annotated[str, Field(max_length=1000, description="One line per line")] | None = None
    email: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=100)] | None = None
    website: Annotated[str, Field(max_length=200)] | None = None
    vat_id: Annotated[str, Field(max_length=100)] | None = None
    bank_details: Annotated[str, Field(max_length=1000)] | None = None


class TemplateCreate(RequestBody):
    """A document template."""

    name: str = Field(min_length=1, max_length=200)
    language: Language
    letterhead_image: str | None = Field(
        default=None,
        max_length=MAX_BASE64,
        description="Base64 of a PNG or JPEG file of at most 1 MiB, printed at the top",
    )
    footer_text: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="Printed on every page (at most two lines)"
    )
    primary_color: Colour | None = Field(default=None, description="Title and headings")
    accent_color: Colour | None = Field(default=None, description="The lines table's header")
    default_opening_text: LongText | None = Field(
        default=None, description="Printed when the order or quote has no opening text"
    )
    default_closing_text: LongText | None = Field(
        default=None, description="Printed when the order or quote has no closing text"
    )
    company: CompanyOverrides | None = None


class TemplateUpdate(TemplateCreate):
    """The template's new content. Leaving `letterhead_image` out keeps the current image;
    `null` removes it."""


class LetterheadRead(BaseModel):
    content_type: str
    width: int = Field(description="Pixels")
    height: int
    size: int = Field(description="Bytes")
    sha256: str
    path: str = Field(description="Where to download the image")


class TemplateRead(BaseModel):
    id: uuid.UUID
    name: str
    language: str
    letterhead: LetterheadRead | None
    footer_text: str | None
    primary_color: str | None
    accent_color: str | None
    default_opening_text: str | None
    default_closing_text: str | None
    company: CompanyOverrides
    is_default: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, template: Template) -> TemplateRead:
        assert template.created_at is not None
        assert template.updated_at is not None
        look, image, company = template.look, template.look.letterhead, template.look.company
        letterhead = None
        if image is not None:
            letterhead = LetterheadRead(
                content_type=image.content_type,
                width=image.width,
                height=image.height,
                size=len(image.content),
                sha256=image.sha256,
                path=f"/templates/{template.id}/letterhead",
            )
        return cls(
            id=template.id,
            name=template.name,
            language=look.language,
            letterhead=letterhead,
            footer_text=look.footer_text,
            primary_color=look.primary_color,
            accent_color=look.accent_color,
            default_opening_text=look.default_opening_text,
            default_closing_text=look.default_closing_text,
            company=CompanyOverrides(
                name=company.name,
                address=company.address,
                email=company.email,
                phone=company.phone,
                website=company.website,
                vat_id=company.vat_id,
                bank_details=company.bank_details,
            ),
            is_default=template.is_default,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )


class TemplateList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "One page of templates"})

    items: list[TemplateRead]
    next_cursor: str | None


TemplateId = Annotated[uuid.UUID, Path(description="The template's id")]


def _blank(value: str | None) -> str | None:
    return value if value and value.strip() else None


def _look(body: TemplateCreate, letterhead: LetterheadImage | None) -> Look:
    company = body.company or CompanyOverrides()
    return Look(
        language=body.language,
        letterhead=letterhead,
        footer_text=_blank(body.footer_text),
        primary_color=check_colour("primary_color", body.primary_color),
        accent_color=check_colour("accent_color", body.accent_color),
        default_opening_text=_blank(body.default_opening_text),
        default_closing_text=_blank(body.default_closing_text),
        company=CompanyDetails(
            name=_blank(company.name),
            address=_blank(company.address),
            email=_blank(company.email),
            phone=_blank(company.phone),
            website=_blank(company.website),
            vat_id=_blank(company.vat_id),
            bank_details=_blank(company.bank_details),
        ),
    )


async def _image(encoded: str | None) -> LetterheadImage | None:
    """Decode and verify the image (in a worker thread: decoding is CPU work)."""
    if encoded is None:
        return None
    try:
        return await asyncio.to_thread(decode_letterhead, encoded)
    except InvalidTemplate as exc:
        raise InvalidInput.field(f"body.{exc.field}", exc.message) from None


@contextmanager
def _refusals() -> Iterator[None]:
    """Domain refusals of the template use cases as problem responses."""
    try:
        yield
    except TemplateNotFound as exc:
        raise NotFound(str(exc)) from None
    except TemplateConflict as exc:
        raise Conflict(str(exc)) from None


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
        runtime = runtime_of(request)
        image = await _image(body.letterhead_image)
        async with runtime.sessionmaker() as session, session.begin():

            async def create() -> tuple[int, Any]:
                with _refusals():
                    template = await templating.create_template(
                        SqlUnitOfWork(session), body.name, _look(body, image)
                    )
                return 201, TemplateRead.of(template).model_dump(mode="json")

            status, content = await idempotent(
                session,
                runtime.metadata,
                scope="templates",
                key=idempotency_key,
                body=body.model_dump(mode="json"),
                create=create,
            )
        return JSONResponse(content, status_code=status)

    @router.get("", response_model=TemplateList)
    async def list_templates(session: Session, limit: Limit = 50, cursor: Cursor = None) -> Any:
        """Templates, oldest first."""
        found = await SqlUnitOfWork(session).templates.list(after=position(cursor), limit=limit + 1)
        page, more = found[:limit], len(found) > limit
        return TemplateList(
            items=[TemplateRead.of(t) for t in page], next_cursor=next_cursor(page, more)
        )

    @router.get("/{template_id}", response_model=TemplateRead)
    async def get_template(session: Session, template_id: TemplateId) -> TemplateRead:
        """One template (its image is at `letterhead.path`)."""
        with _refusals():
            return TemplateRead.of(
                await templating.get_template(SqlUnitOfWork(session), template_id)
            )

    @router.put("/{template_id}", response_model=TemplateRead)
    async def update_template(
        request: Request, template_id: TemplateId, body: TemplateUpdate
    ) -> TemplateRead:
        """Replace a template's content (administrators)."""
        letterhead: LetterheadImage | Keep | None = KEEP
        if "letterhead_image" in body.model_fields_set:
            letterhead = await _image(body.letterhead_image)
        async with runtime_of(request).sessionmaker() as session, session.begin():
            with _refusals():
                template = await templating.update_template(
                    SqlUnitOfWork(session), template_id, body.name, _look(body, None), letterhead
                )
            return TemplateRead.of(template)

    @router.delete("/{template_id}", response_model=TemplateRead)
    async def delete_template(request: Request, template_id: TemplateId) -> TemplateRead:
        """Delete a template (administrators); the default template cannot be deleted (409).

        Documents printed with it keep their files; orders that still name it are printed in
        the default template from now on.
        """
        async with runtime_of(request).sessionmaker() as session, session.begin():
            with _refusals():
                template = await templating.delete_template(SqlUnitOfWork(session), template_id)
            return TemplateRead.of(template)

    @router.post("/{template_id}/default", response_model=TemplateRead)
    async def make_default(request: Request, template_id: TemplateId) -> TemplateRead:
        """Make this the default template: used when an order names a template that does not
        exist (administrators)."""
        async with runtime_of(request).sessionmaker() as session, session.begin():
            with _refusals():
                template = await templating.make_default(SqlUnitOfWork(session), template_id)
            return TemplateRead.of(template)

    @router.get(
        "/{template_id}/letterhead",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The image"},
            304: {"description": "Unchanged (If-None-Match)"},
            404: {"description": "No such template, or it has no image"},
        },
    )
    async def get_letterhead(
        session: Session,
        template_id: TemplateId,
        if_none_match: Annotated[str | None, Header(max_length=500)] = None,
    ) -> Response:
        """The template's letterhead image."""
        with _refusals():
            template = await templating.get_template(SqlUnitOfWork(session), template_id)
        image = template.look.letterhead
        if image is None:
            raise NotFound(f"template {template_id} has no letterhead image")
        headers = file_headers(image.sha256)
        if not_modified(image.sha256, if_none_match):
            return Response(status_code=304, headers=headers)
        return Response(image.content, media_type=image.content_type, headers=headers)

    return router
