"""What the use cases need from persistence: a document repository and the outbox.

The caller owns the transaction (the event consumer opens it with the inbox row; an HTTP view
opens its own), so the document row and the events it causes commit together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from contracts import CloudEvent
from documents.domain.model import Document, DocumentKind


class DocumentRepository(Protocol):
    async def get(self, document_id: uuid.UUID) -> Document | None: ...

    async def get_by_reference(
        self, kind: DocumentKind, reference: str, *, for_update: bool = False
    ) -> Document | None: ...

    async def add(self, document: Document) -> None: ...

    async def update(self, document: Document) -> None: ...

    async def list(
        self,
        *,
        order_id: str | None,
        kind: DocumentKind | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Document]:
        """Documents in creation order, resuming after the (created_at, id) given."""
        ...


class UnitOfWork(Protocol):
    @property
    def documents(self) -> DocumentRepository: ...

    async def add_event(self, event: CloudEvent[Any]) -> None:
        """Publish `event` if, and only if, the caller's transaction commits."""
