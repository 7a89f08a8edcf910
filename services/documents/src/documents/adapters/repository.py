"""Repositories of documents, templates and e-mails on SQLAlchemy Core, and the SQL unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, false, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from documents.adapters.tables import documents, emails, metadata, templates
from documents.domain.emails import Email, EmailStatus
from documents.domain.model import Document, DocumentKind
from documents.domain.templates import CompanyDetails, LetterheadImage, Look, Template
from servicekit.outbox import add_to_outbox

Position = tuple[datetime, uuid.UUID]


def _document(row: RowMapping) -> Document:
    return Document(
        id=row["id"],
        order_id=row["order_id"],
        kind=DocumentKind(row["kind"]),
        reference=row["reference"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        storage_key=row["storage_key"],
        source_event_id=row["source_event_id"],
        quote_id=row["quote_id"],
        template_id=row["template_id"],
        language=row["language"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlDocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, document_id: uuid.UUID) -> Document | None:
        row = (
            (await self.session.execute(select(documents).where(documents.c.id == document_id)))
            .mappings()
            .first()
        )
        return _document(row) if row else None

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None:
        query = select(documents).where(
            documents.c.kind == kind.value, documents.c.reference == reference
        )
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _document(row) if row else None

    async def add(self, document: Document) -> None:
        row = (
            await self.session.execute(
                documents.insert()
                .values(
                    id=document.id,
                    order_id=document.order_id,
                    quote_id=document.quote_id,
                    kind=document.kind.value,
                    reference=document.reference,
                    filename=document.filename,
                    content_type=document.content_type,
                    size=document.size,
                    sha256=document.sha256,
                    storage_key=document.storage_key,
                    source_event_id=document.source_event_id,
                    template_id=document.template_id,
                    language=document.language,
                )
                .returning(documents.c.created_at, documents.c.updated_at)
            )
        ).one()
        document.created_at, document.updated_at = row.created_at, row.updated_at

    async def update(self, document: Document) -> None:
        row = (
            await self.session.execute(
                documents.update()
                .where(documents.c.id == document.id)
                .values(
                    filename=document.filename,
                    content_type=document.content_type,
                    size=document.size,
                    sha256=document.sha256,
                    storage_key=document.storage_key,
                    source_event_id=document.source_event_id,
                    template_id=document.template_id,
                    language=document.language,
                    updated_at=func.now(),
                )
                .returning(documents.c.updated_at)
            )
        ).one()
        document.updated_at = row.updated_at

    async def template_of_order(self, order_id: str) -> str | None:
        query = select(documents.c.template_id).where(
            documents.c.order_id == order_id,
            documents.c.kind == DocumentKind.ORDER_CONFIRMATION.value,
        )
        template_id: str | None = (await self.session.execute(query)).scalars().first()
        return template_id

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: Position | None,
        limit: int,
        quote_id: str | None = None,
    ) -> list[Document]:
        query = select(documents).order_by(documents.c.created_at, documents.c.id).limit(limit)
        if order_id is not None:
            query = query.where(documents.c.order_id == order_id)
        if quote_id is not None:
            query = query.where(documents.c.quote_id == quote_id)
        if kind is not None:
            query = query.where(documents.c.kind == kind.value)
        if after is not None:
            query = query.where(tuple_(documents.c.created_at, documents.c.id) > tuple_(*after))
        rows = (await self.session.execute(query)).mappings().all()
        return [_document(row) for row in rows]


# --- templates --------------------------------------------------------------------------------


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


class SqlTemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, query: Any) -> Template | None:
        row = (await self.session.execute(query)).mappings().first()
        return _template(row) if row else None

    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None:
        query = select(templates).where(templates.c.id == template_id)
        return await self._one(query.with_for_update() if for_update else query)

    async def get_by_name(self, name: str) -> Template | None:
        return await self._one(select(templates).where(templates.c.name == name))

    async def get_default(self) -> Template | None:
        return await self._one(select(templates).where(templates.c.is_default.is_(true())))

    async def add(self, template: Template) -> None:
        row = (
            await self.session.execute(
                templates.insert()
                .values(id=template.id, **_template_values(template))
                .returning(templates.c.created_at, templates.c.updated_at)
            )
        ).one()
        template.created_at, template.updated_at = row.created_at, row.updated_at

    async def update(self, template: Template) -> None:
        row = (
            await self.session.execute(
                templates.update()
                .where(templates.c.id == template.id)
                .values(**_template_values(template), updated_at=func.now())
                .returning(templates.c.updated_at)
            )
        ).one()
        template.updated_at = row.updated_at

    async def delete(self, template_id: uuid.UUID) -> None:
        await self.session.execute(templates.delete().where(templates.c.id == template_id))

    async def clear_default(self) -> None:
        await self.session.execute(
            templates.update()
            .where(templates.c.is_default.is_(true()))
            .values(is_default=false(), updated_at=func.now())
        )

    async def list(self, *, after: Position | None, limit: int) -> list[Template]:
        query = select(templates).order_by(templates.c.created_at, templates.c.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(templates.c.created_at, templates.c.id) > tuple_(*after))
        rows = (await self.session.execute(query)).mappings().all()
        return [_template(row) for row in rows]


# --- e-mails -----------------------------------------------------------------------------------


def _email(row: RowMapping) -> Email:
    return Email(
        id=row["id"],
        document_id=row["document_id"],
        to=list(row["recipients"]),
        cc=list(row["cc"]),
        subject=row["subject"],
        message=row["message"],
        order_id=row["order_id"],
        quote_id=row["quote_id"],
        status=EmailStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_attempt_at=row["last_attempt_at"],
        last_error=row["last_error"],
        sent_at=row["sent_at"],
        requested_by=row["requested_by"],
        correlation_id=row["correlation_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _email_state(email: Email) -> dict[str, Any]:
    return {
        "status": email.status.value,
        "attempts": email.attempts,
        "next_attempt_at": email.next_attempt_at,
        "last_attempt_at": email.last_attempt_at,
        "last_error": email.last_error,
        "sent_at": email.sent_at,
    }


class SqlEmailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, email_id: uuid.UUID, *, for_update: bool = False) -> Email | None:
        query = select(emails).where(emails.c.id == email_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _email(row) if row else None

    async def add(self, email: Email) -> None:
        row = (
            await self.session.execute(
                emails.insert()
                .values(
                    id=email.id,
                    document_id=email.document_id,
                    order_id=email.order_id,
                    quote_id=email.quote_id,
                    recipients=email.to,
                    cc=email.cc,
                    subject=email.subject,
                    message=email.message,
                    requested_by=email.requested_by,
                    correlation_id=email.correlation_id,
                    **_email_state(email),
                )
                .returning(emails.c.created_at, emails.c.updated_at)
            )
        ).one()
        email.created_at, email.updated_at = row.created_at, row.updated_at

    async def update(self, email: Email) -> None:
        row = (
            await self.session.execute(
                emails.update()
                .where(emails.c.id == email.id)
                .values(**_email_state(email), updated_at=func.now())
                .returning(emails.c.updated_at)
            )
        ).one()
        email.updated_at = row.updated_at

    async def claim_next_due(self, now: datetime) -> Email | None:
        query = (
            select(emails)
            .where(emails.c.status == EmailStatus.QUEUED.value, emails.c.next_attempt_at <= now)
            .order_by(emails.c.next_attempt_at, emails.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await self.session.execute(query)).mappings().first()
        return _email(row) if row else None

    async def next_due_at(self) -> datetime | None:
        query = select(func.min(emails.c.next_attempt_at)).where(
            emails.c.status == EmailStatus.QUEUED.value
        )
        due: datetime | None = (await self.session.execute(query)).scalar_one()
        return due

    async def list(
        self, *, document_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> list[Email]:
        query = select(emails).order_by(emails.c.created_at, emails.c.id).limit(limit)
        if document_id is not None:
            query = query.where(emails.c.document_id == document_id)
        if after is not None:
            query = query.where(tuple_(emails.c.created_at, emails.c.id) > tuple_(*after))
        rows = (await self.session.execute(query)).mappings().all()
        return [_email(row) for row in rows]


class SqlUnitOfWork:
    """Repositories and outbox on the caller's session (the caller commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.documents = SqlDocumentRepository(session)
        self.templates = SqlTemplateRepository(session)
        self.emails = SqlEmailRepository(session)

    async def add_event(self, event: CloudEvent[Any]) -> None:
        await add_to_outbox(self.session, metadata.tables["outbox"], event)
