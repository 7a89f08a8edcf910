"""What the use cases need from persistence: repositories of documents, templates and e-mails,
and the outbox, as Protocols (`adapters/unit_of_work.py` implements them on SQLAlchemy).

The caller owns the transaction (the event consumer opens it with the inbox row; an HTTP view
or the e-mail sender opens its own), so the rows and the events they cause commit together or
not at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from contracts import CloudEvent
from contracts.common import OrderSnapshot
from documents.domain.emails import Email
from documents.domain.model import Document, DocumentKind
from documents.domain.notifications import NotificationPreferences
from documents.domain.templates import Template
from servicekit.unit_of_work import RecordsEvents

Position = tuple[datetime, uuid.UUID]  # (created_at, id): where a page of a list resumes


class DocumentRepository(Protocol):
    async def get(self, document_id: uuid.UUID) -> Document | None: ...

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None: ...

    async def add(self, document: Document) -> None: ...

    async def update(self, document: Document) -> None: ...

    async def template_of_order(self, order_id: str) -> str | None:
        """The template the order's confirmation was printed with (as the order asked)."""
        ...

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: Position | None,
        limit: int,
        quote_id: str | None = None,
        purchase_order_id: str | None = None,
    ) -> list[Document]:
        """Documents in creation order, resuming after the (created_at, id) given."""
        ...


class OrderSnapshotRepository(Protocol):
    """The orders as their last confirmation described them (what a delivery note prints)."""

    async def get(self, order_id: str) -> OrderSnapshot | None: ...

    async def keep(self, snapshot: OrderSnapshot, sequence: int | None) -> bool:
        """Keep `snapshot` unless a later one (higher per-order sequence) is kept already;
        True when it was kept."""
        ...


class TemplateRepository(Protocol):
    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None: ...

    async def get_by_name(self, name: str) -> Template | None: ...

    async def get_default(self) -> Template | None: ...

    async def add(self, template: Template) -> None: ...

    async def update(self, template: Template) -> None: ...

    async def delete(self, template_id: uuid.UUID) -> None: ...

    async def clear_default(self) -> None:
        """No template is the default any more."""
        ...

    async def list(self, *, after: Position | None, limit: int) -> list[Template]: ...


class EmailRepository(Protocol):
    async def get(self, email_id: uuid.UUID, *, for_update: bool = False) -> Email | None: ...

    async def add(self, email: Email) -> None: ...

    async def update(self, email: Email) -> None: ...

    async def claim_next_due(self, now: datetime) -> Email | None:
        """The queued e-mail due first, locked for this transaction; rows other senders hold
        are skipped (FOR UPDATE SKIP LOCKED)."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the next queued e-mail is due, if any is queued."""
        ...

    async def list(
        self, *, document_id: uuid.UUID | None, after: Position | None, limit: int
    ) -> list[Email]: ...


class NotificationPreferenceRepository(Protocol):
    async def get(self, user: str) -> NotificationPreferences:
        """The user's preferences; the defaults (no address, nothing opted out) if never set."""
        ...

    async def save(self, preferences: NotificationPreferences) -> None: ...


class UnitOfWork(RecordsEvents, Protocol):
    """The repositories, and `record(event)` (from `RecordsEvents`) for the outbox."""

    @property
    def documents(self) -> DocumentRepository: ...

    @property
    def templates(self) -> TemplateRepository: ...

    @property
    def emails(self) -> EmailRepository: ...

    @property
    def notification_preferences(self) -> NotificationPreferenceRepository: ...

    @property
    def order_snapshots(self) -> OrderSnapshotRepository: ...

    async def add_new_and_record(
        self, document: Document, event: CloudEvent[Any], *, key: str | None = None
    ) -> bool:
        """`documents.add(document)`, then `record(event, key=key)` (one round trip where the
        store can), unless a document of its kind and number, or its id, is there already:
        then neither, and False."""
        ...
