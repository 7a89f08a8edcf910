"""What the use cases need from the outside world besides persistence: a renderer, a store for
the rendered files and a mailer. Adapters implement these; `bootstrap.py` wires them in."""

from __future__ import annotations

from typing import Protocol

from documents.domain.emails import OutgoingEmail
from documents.domain.model import PrintableDocument


class StoredObjectMissing(LookupError):
    """No object is stored under the key."""


class Renderer(Protocol):
    async def render(self, document: PrintableDocument) -> bytes:
        """The document's file, rendered off the event loop (a worker process or thread)."""
        ...


class DocumentStorage(Protocol):
    """Rendered files by key: relative, slash-separated paths such as `invoice/<id>/<sha>.pdf`."""

    async def put(self, key: str, content: bytes) -> None:
        """Store `content` under `key`, replacing what was there; all or nothing."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises StoredObjectMissing."""
        ...

    async def check(self) -> None:
        """Raise if the storage cannot be used (run at startup)."""
        ...


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Deliver the message to the mail server; raise on any failure."""
        ...
