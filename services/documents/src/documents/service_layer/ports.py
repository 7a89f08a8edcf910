"""What the use cases need from the outside world besides persistence: a renderer, a store for
the rendered files and a mailer. Adapters implement these; `bootstrap.py` wires them in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from documents.domain.emails import OutgoingEmail
from documents.domain.model import PrintableDocument


class StoredObjectMissing(LookupError):
    """No object is stored under the key."""


@dataclass(frozen=True)
class FoundFile:
    """A stored file as a sweep of the storage found it (`DocumentStorage.files_older_than`)."""

    name: str  # its relative path, for logs
    key: str | None  # None: the leftover of a write that never finished
    size: int
    modified_at: datetime
    version: str  # changes when the file is written again (a file system: inode, mtime, size)


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


class SweptStorage(DocumentStorage, Protocol):
    """The storage itself, which the file sweep also lists and deletes from."""

    def files_older_than(self, cutoff: datetime, *, batch: int) -> AsyncIterator[list[FoundFile]]:
        """Every file last written before `cutoff` (leftovers of unfinished writes too), in
        lists of at most `batch`."""
        ...

    async def remove(self, found: FoundFile) -> bool:
        """Delete the file unless it was written again since it was found; True if deleted."""
        ...


class Mailer(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Deliver the message to the mail server; raise on any failure."""
        ...
