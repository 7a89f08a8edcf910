"""Notes and files on customers, quotes and orders: what may be attached, and checking it.

A file is accepted when its declared type is on the allow-list, its size within the limit, and
its first bytes agree with the type where the type has a signature (PDF, PNG, JPEG, GIF, the
Office zip formats); text types must be UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

DEFAULT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)

_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}


class Subject(StrEnum):
    ORDER = "order"
    QUOTE = "quote"
    CUSTOMER = "customer"


class TooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"a file may have at most {limit} bytes")


class RefusedType(ValueError):
    """The declared type is not allowed, or the content is not of that type."""


@dataclass(frozen=True)
class StoredFile:
    id: str
    subject: Subject
    subject_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    created_at: datetime


def media_type(header: str | None) -> str:
    """`text/plain; charset=utf-8` → `text/plain`."""
    return (header or "").split(";")[0].strip().lower()


def check_file(content_type: str, head: bytes, allowed: tuple[str, ...] | list[str]) -> None:
    """RefusedType unless the type is allowed and the content's first bytes agree with it."""
    if content_type not in allowed:
        raise RefusedType(f"files of type {content_type or 'unknown'} are not accepted")
    signatures = _SIGNATURES.get(content_type)
    if signatures is not None and not head.startswith(signatures):
        raise RefusedType(f"the content is not {content_type}")
    if content_type.startswith("text/"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not merely a character cut at the end
                raise RefusedType("a text file must be UTF-8") from None


def safe_filename(name: str) -> str:
    """The name without any folder part or control characters (at most 200 characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in '"').strip()
    return cleaned[:200] or "file"
