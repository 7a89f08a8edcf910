"""E-mails of documents (the e-mail outbox) on SQLAlchemy Core."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select

from documents.adapters.repositories import rows
from documents.adapters.tables import emails
from documents.domain.emails import Email, EmailStatus
from documents.service_layer.unit_of_work import Position
from servicekit.mapping import copied
from servicekit.unit_of_work import SqlRepository


def _email(row: RowMapping) -> Email:
    return copied(
        Email,
        {
            **row,
            "to": list(row["recipients"]),
            "cc": list(row["cc"]),
            "status": EmailStatus(row["status"]),
        },
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


class SqlEmailRepository(SqlRepository):
    async def get(self, email_id: uuid.UUID, *, for_update: bool = False) -> Email | None:
        query = select(emails).where(emails.c.id == email_id)
        if for_update:
            query = query.with_for_update()
        return await rows.first(self.session, query, _email)

    async def add(self, email: Email) -> None:
        request = {
            "document_id": email.document_id,
            "milestone": email.milestone,
            "order_id": email.order_id,
            "quote_id": email.quote_id,
            "purchase_order_id": email.purchase_order_id,
            "recipients": email.to,
            "cc": email.cc,
            "subject": email.subject,
            "message": email.message,
            "requested_by": email.requested_by,
            "correlation_id": email.correlation_id,
        }
        await rows.insert(self.session, emails, email, {**request, **_email_state(email)})

    async def update(self, email: Email) -> None:
        await rows.update(self.session, emails, email, _email_state(email))

    async def claim_next_due(self, now: datetime) -> Email | None:
        query = (
            select(emails)
            .where(emails.c.status == EmailStatus.QUEUED.value, emails.c.next_attempt_at <= now)
            .order_by(emails.c.next_attempt_at, emails.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return await rows.first(self.session, query, _email)

    async def next_due_at(self) -> datetime | None:
        query = select(func.min(emails.c.next_attempt_at)).where(
            emails.c.status == EmailStatus.QUEUED.value
        )
        due: datetime | None = (await self.session.execute(query)).scalar_one()
        return due

    async def list(
        self, *, document_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> list[Email]:
        query = rows.page_of(emails, after, limit)
        if document_id is not None:
            query = query.where(emails.c.document_id == document_id)
        found = (await self.session.execute(query)).mappings().all()
        return [_email(row) for row in found]
