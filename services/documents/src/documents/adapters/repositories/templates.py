"""Document templates on SQLAlchemy Core."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import RowMapping, Select, false, func, select, true

from documents.adapters.repositories import rows
from documents.adapters.tables import templates
from documents.domain.templates import CompanyDetails, LetterheadImage, Look, Template
from documents.service_layer.unit_of_work import Position
from servicekit.unit_of_work import SqlRepository


def _template(row: RowMapping) -> Template:
    image = None
    if row["letterhead_image"] is not None:
        image = LetterheadImage(
            content=bytes(row["letterhead_image"]),
            content_type=row["letterhead_content_type"],
            width=row["letterhead_width"],
            height=row["letterhead_height"],
        )
    look = Look(
        language=row["language"],
        letterhead=image,
        footer_text=row["footer_text"],
        primary_color=row["primary_color"],
        accent_color=row["accent_color"],
        default_opening_text=row["default_opening_text"],
        default_closing_text=row["default_closing_text"],
        company=CompanyDetails(
            name=row["company_name"],
            address=row["company_address"],
            email=row["company_email"],
            phone=row["company_phone"],
            website=row["company_website"],
            vat_id=row["company_vat_id"],
            bank_details=row["company_bank_details"],
        ),
    )
    return Template(
        id=row["id"],
        name=row["name"],
        look=look,
        is_default=row["is_default"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _template_values(template: Template) -> dict[str, Any]:
    look, company, image = template.look, template.look.company, template.look.letterhead
    return {
        "name": template.name,
        "language": look.language,
        "letterhead_image": image.content if image else None,
        "letterhead_content_type": image.content_type if image else None,
        "letterhead_width": image.width if image else None,
        "letterhead_height": image.height if image else None,
        "footer_text": look.footer_text,
        "primary_color": look.primary_color,
        "accent_color": look.accent_color,
        "default_opening_text": look.default_opening_text,
        "default_closing_text": look.default_closing_text,
        "company_name": company.name,
        "company_address": company.address,
        "company_email": company.email,
        "company_phone": company.phone,
        "company_website": company.website,
        "company_vat_id": company.vat_id,
        "company_bank_details": company.bank_details,
        "is_default": template.is_default,
    }


class SqlTemplateRepository(SqlRepository):
    async def _one(self, query: Select[Any]) -> Template | None:
        return await rows.first(self.session, query, _template)

    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None:
        query = select(templates).where(templates.c.id == template_id)
        return await self._one(query.with_for_update() if for_update else query)

    async def get_by_name(self, name: str) -> Template | None:
        return await self._one(select(templates).where(templates.c.name == name))

    async def get_default(self) -> Template | None:
        return await self._one(select(templates).where(templates.c.is_default.is_(true())))

    async def add(self, template: Template) -> None:
        await rows.insert(self.session, templates, template, _template_values(template))

    async def update(self, template: Template) -> None:
        await rows.update(self.session, templates, template, _template_values(template))

    async def delete(self, template_id: uuid.UUID) -> None:
        await self.session.execute(templates.delete().where(templates.c.id == template_id))

    async def clear_default(self) -> None:
        await self.session.execute(
            templates.update()
            .where(templates.c.is_default.is_(true()))
            .values(is_default=false(), updated_at=func.now())
        )

    async def list(self, *, after: Position | None, limit: int) -> list[Template]:
        query = rows.page_of(templates, after, limit)
        return [_template(row) for row in (await self.session.execute(query)).mappings().all()]
