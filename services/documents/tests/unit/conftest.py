"""In-memory fakes of the persistence, storage and mailer seams."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts import CloudEvent
from documents.adapters.storage import StoredObjectMissing
from documents.domain.emails import Email, EmailStatus, OutgoingEmail
from documents.domain.model import Document, DocumentKind
from documents.domain.templates import Template


class FakeDocuments:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Document] = {}

    async def get(self, document_id: uuid.UUID) -> Document | None:
        row = self.rows.get(document_id)
        return replace(row) if row else None

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None:
        for row in self.rows.values():
            if row.kind is kind and row.reference == reference:
                return replace(row)
        return None

    async def add(self, document: Document) -> None:
        assert document.id not in self.rows
        document.created_at = document.updated_at = datetime.now(UTC)
        self.rows[document.id] = replace(document)

    async def update(self, document: Document) -> None:
        assert document.id in self.rows
        document.updated_at = datetime.now(UTC)
        self.rows[document.id] = replace(document)

    async def template_of_order(self, order_id: str) -> str | None:
        for row in self.rows.values():
            if row.order_id == order_id and row.kind is DocumentKind.ORDER_CONFIRMATION:
                return row.template_id
        return None

    async def list(self, **_: Any) -> list[Document]:
        return list(self.rows.values())


class FakeTemplates:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Template] = {}

    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None:
        row = self.rows.get(template_id)
        return replace(row) if row else None

    async def get_by_name(self, name: str) -> Template | None:
        return next((replace(t) for t in self.rows.values() if t.name == name), None)

    async def get_default(self) -> Template | None:
        return next((replace(t) for t in self.rows.values() if t.is_default), None)

    async def add(self, template: Template) -> None:
        template.created_at = template.updated_at = datetime.now(UTC)
        self.rows[template.id] = replace(template)

    async def update(self, template: Template) -> None:
        assert template.id in self.rows
        template.updated_at = datetime.now(UTC)
        self.rows[template.id] = replace(template)
        assert sum(t.is_default for t in self.rows.values()) <= 1, "two default templates"

    async def delete(self, template_id: uuid.UUID) -> None:
        del self.rows[template_id]

    async def clear_default(self) -> None:
        for key, template in self.rows.items():
            self.rows[key] = replace(template, is_default=False)

    async def list(self, **_: Any) -> list[Template]:
        return list(self.rows.values())


class FakeEmails:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Email] = {}

    async def get(self, email_id: uuid.UUID, *, for_update: bool = False) -> Email | None:
        row = self.rows.get(email_id)
        return replace(row) if row else None

    async def add(self, email: Email) -> None:
        email.created_at = email.updated_at = datetime.now(UTC)
        self.rows[email.id] = replace(email)

    async def update(self, email: Email) -> None:
        assert email.id in self.rows
        email.updated_at = datetime.now(UTC)
        self.rows[email.id] = replace(email)

    async def claim_next_due(self, now: datetime) -> Email | None:
        due = [
            e
            for e in self.rows.values()
            if e.status is EmailStatus.QUEUED
            and e.next_attempt_at is not None
            and e.next_attempt_at <= now
        ]
        due.sort(key=lambda e: (e.next_attempt_at or now, e.id))
        return replace(due[0]) if due else None

    async def next_due_at(self) -> datetime | None:
        queued = [e.next_attempt_at for e in self.rows.values() if e.status is EmailStatus.QUEUED]
        return min((at for at in queued if at), default=None)

    async def list(self, **_: Any) -> list[Email]:
        return list(self.rows.values())


@dataclass
class FakeUnitOfWork:
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    templates: FakeTemplates = field(default_factory=FakeTemplates)
    emails: FakeEmails = field(default_factory=FakeEmails)
    events: list[CloudEvent[Any]] = field(default_factory=list)

    async def record(self, event: CloudEvent[Any], *, key: str | None = None) -> None:
        self.events.append(event)


class FakeStorage:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(self, key: str, content: bytes) -> None:
        self.objects[key] = content

    async def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise StoredObjectMissing(key) from None

    async def check(self) -> None:
        return None


class FakeMailer:
    """Fails the first `failures` messages (like a server that is down), then delivers."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[OutgoingEmail] = []
        self.tries = 0

    async def send(self, email: OutgoingEmail) -> None:
        self.tries += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 2525)")
        self.sent.append(email)


@pytest.fixture
def fake_uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def fake_storage() -> FakeStorage:
    return FakeStorage()


@pytest.fixture
def make_mailer() -> type[FakeMailer]:
    return FakeMailer
