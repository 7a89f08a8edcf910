"""Files attached to orders, quotes and customers on PostgreSQL (content in the row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Row

from orders.adapters.rows import canonical_id
from orders.adapters.tables import attachments
from orders.domain.attachments import StoredFile, Subject
from servicekit.unit_of_work import SqlRepository

_DESCRIPTION = [c for c in attachments.c if c.name != "content"]


def _stored(row: Row[Any]) -> StoredFile:
    return StoredFile(
        id=row.id,
        subject=Subject(row.subject),
        subject_id=row.subject_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        created_at=row.created_at,
    )


class SqlAttachmentRepository(SqlRepository):
    async def add(self, stored: StoredFile, content: bytes) -> None:
        await self.session.execute(
            attachments.insert().values(
                id=stored.id,
                subject=stored.subject.value,
                subject_id=stored.subject_id,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                content=content,
                uploaded_by=stored.uploaded_by,
                created_at=stored.created_at,
            )
        )

    async def of_subject(self, subject: Subject, subject_id: str) -> list[StoredFile]:
        rows = await self.session.execute(
            select(*_DESCRIPTION)
            .where(attachments.c.subject == subject.value, attachments.c.subject_id == subject_id)
            .order_by(attachments.c.created_at, attachments.c.id)
        )
        return [_stored(row) for row in rows]

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        wanted = canonical_id(file_id)
        if wanted is None:
            return None
        row = (
            await self.session.execute(select(attachments).where(attachments.c.id == wanted))
        ).first()
        return None if row is None else (_stored(row), bytes(row.content))

    async def delete(self, file_id: str) -> None:
        await self.session.execute(delete(attachments).where(attachments.c.id == file_id))
