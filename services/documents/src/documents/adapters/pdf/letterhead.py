"""The letterhead: the company block at the top of the first page, the template's image above
it, and the company line and footer text at the bottom of every page."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image

from documents.adapters.pdf.styles import Styles
from documents.adapters.pdf.text import CONTROL, Paragraph, fit, markup, text_lines
from documents.domain.labels import Labels
from documents.domain.templates import CompanyDetails, LetterheadImage

LETTERHEAD_MAX_HEIGHT = 30 * mm
FOOTER_TEXT_LINES = 2


@dataclass(frozen=True)
class Letterhead:
    """The company block printed at the top and in the footer of every document."""

    name: str
    address_lines: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    vat_id: str | None = None
    bank_details: tuple[str, ...] = ()

    def overridden(self, company: CompanyDetails) -> Letterhead:
        """This block with a template's overrides applied (None keeps a value)."""
        changes: dict[str, Any] = {
            key: value
            for key, value in (
                ("name", company.name),
                ("email", company.email),
                ("phone", company.phone),
                ("website", company.website),
                ("vat_id", company.vat_id),
            )
            if value
        }
        if company.address:
            changes["address_lines"] = tuple(text_lines(company.address))
        if company.bank_details:
            changes["bank_details"] = tuple(text_lines(company.bank_details))
        return replace(self, **changes) if changes else self


def letterhead_image(image: LetterheadImage, width: float) -> Image:
    """The template's image at the top, scaled to fit the text width and at most 30 mm."""
    scale = min(width / image.width, LETTERHEAD_MAX_HEIGHT / image.height)
    return Image(
        io.BytesIO(image.content),
        width=image.width * scale,
        height=image.height * scale,
        hAlign="LEFT",
    )


def company_block(head: Letterhead, labels: Labels, styles: Styles) -> list[Flowable]:
    """Name, address, contact and VAT id of the company."""
    company: list[Flowable] = [Paragraph(markup(head.name), styles.company)]
    if head.address_lines:
        company.append(Paragraph(markup("\n".join(head.address_lines)), styles.small))
    contact = [value for value in (head.phone, head.email, head.website) if value]
    if contact:
        company.append(Paragraph(markup(" · ".join(contact)), styles.small))
    if head.vat_id:
        company.append(Paragraph(markup(f"{labels.vat_id}: {head.vat_id}"), styles.small))
    return company


def footer_left(head: Letterhead, labels: Labels) -> str:
    """The company line at the bottom left of every page."""
    parts: Iterable[str | None] = (
        head.name,
        f"{labels.vat_id} {head.vat_id}" if head.vat_id else None,
        head.email,
    )
    return " · ".join(part for part in parts if part)


def footer_lines(footer_text: str | None, font: str, width: float) -> tuple[str, ...]:
    """The template's footer text: at most two lines, each cut to the page's width."""
    if not footer_text:
        return ()
    cleaned = CONTROL.sub("", footer_text)
    lines = text_lines(cleaned)[:FOOTER_TEXT_LINES]
    return tuple(fit(line, font, 7, width) for line in lines)
