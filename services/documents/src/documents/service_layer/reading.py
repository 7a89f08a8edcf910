"""Read a stored document back, refusing bytes that are not the ones that were generated."""

from __future__ import annotations

import hashlib
import uuid
from typing import Protocol

from documents.service_layer.ports import DocumentStorage, StoredObjectMissing


class StoredFile(Protocol):
    """A stored rendition: a document, a statement."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def storage_key(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...


class ContentUnavailable(Exception):
    """The stored file is missing or does not match its recorded checksum."""


async def document_content(document: StoredFile, storage: DocumentStorage) -> bytes:
    """The document's bytes, verified against its size and SHA-256."""
    try:
        content = await storage.get(document.storage_key)
    except StoredObjectMissing:
        raise ContentUnavailable(f"the stored file of document {document.id} is missing") from None
    if len(content) != document.size or hashlib.sha256(content).hexdigest() != document.sha256:
        raise ContentUnavailable(
            f"the stored file of document {document.id} does not match its checksum"
        )
    return content
