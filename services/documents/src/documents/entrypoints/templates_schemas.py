"""What the templates API reads and answers, and the look a body describes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field

from documents.domain.labels import SUPPORTED_LANGUAGES, UnsupportedLanguage, check_language
from documents.domain.templates import (
    MAX_IMAGE_BYTES,
    CompanyDetails,
    LetterheadImage,
    Look,
    Template,
    check_colour,
)
from servicekit.api import RequestBody
from servicekit.pagination import Page

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

    def look(self, letterhead: LetterheadImage | None) -> Look:
        """The look this body describes (blank texts print nothing), with `letterhead`."""
        company = self.company or CompanyOverrides()
        return Look(
            language=self.language,
            letterhead=letterhead,
            footer_text=_blank(self.footer_text),
            primary_color=check_colour("primary_color", self.primary_color),
            accent_color=check_colour("accent_color", self.accent_color),
            default_opening_text=_blank(self.default_opening_text),
            default_closing_text=_blank(self.default_closing_text),
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


def _blank(value: str | None) -> str | None:
    return value if value and value.strip() else None


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
            company=CompanyOverrides.model_validate(company, from_attributes=True),
            is_default=template.is_default,
            created_at=template.created_at,
            updated_at=template.updated_at,
        )


class TemplatePage(Page[TemplateRead]):
    """One page of templates."""


TemplateId = Annotated[uuid.UUID, Path(description="The template's id")]
