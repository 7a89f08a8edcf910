"""Use cases: notes and files on orders, quotes and customers.

A note is a timeline entry (`orders.note.added`) with its author and time. A file is stored
with its checked type, size and digest, and its arrival (and removal) goes on the timeline too.
Whoever may not see the order, quote or customer finds none of it.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from orders.domain.attachments import StoredFile, Subject, check_file, safe_filename
from orders.service_layer.customers import find_customer
from orders.service_layer.events import utcnow
from orders.service_layer.orders import get_order
from orders.service_layer.quotes import get_quote
from orders.service_layer.unit_of_work import TimelineEntry, UnitOfWork
from servicekit.auth import current_actor

NOTE_ADDED = "orders.note.added"


class FileNotFound(LookupError):
    def __init__(self, file_id: str) -> None:
        self.file_id = file_id
        super().__init__(f"no file {file_id}")


async def subject_id(uow: UnitOfWork, subject: Subject, record_id: str) -> str:
    """The id of the order, quote or customer (unknown if the caller may not see it)."""
    if subject is Subject.ORDER:
        return (await get_order(uow, record_id)).id
    if subject is Subject.QUOTE:
        return (await get_quote(uow, record_id)).id
    return (await find_customer(uow, record_id)).id


def _on(subject: Subject, found_id: str) -> dict[str, Any]:
    return {f"{subject.value}_id": found_id}


async def add_note(uow: UnitOfWork, subject: Subject, record_id: str, text: str) -> TimelineEntry:
    found = await subject_id(uow, subject, record_id)
    note_id = str(uuid.uuid4())
    await uow.note(
        NOTE_ADDED,
        summary=f"Note: {text}",
        data={"note_id": note_id, "text": text},
        **_on(subject, found),
    )
    return next(n for n in await _notes(uow, subject, found) if n.data["note_id"] == note_id)


async def _notes(uow: UnitOfWork, subject: Subject, found: str) -> list[TimelineEntry]:
    return [e for e in await uow.timeline(**_on(subject, found)) if e.type == NOTE_ADDED]


async def list_notes(uow: UnitOfWork, subject: Subject, record_id: str) -> list[TimelineEntry]:
    """The notes, oldest first."""
    return await _notes(uow, subject, await subject_id(uow, subject, record_id))


async def attach_file(
    uow: UnitOfWork,
    subject: Subject,
    record_id: str,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    allowed_types: list[str],
) -> StoredFile:
    """Store a file (RefusedType when its type is not allowed or its content not of that type;
    the size limit is the caller's to enforce while reading it)."""
    found = await subject_id(uow, subject, record_id)
    check_file(content_type, content[:512], allowed_types)
    stored = StoredFile(
        id=str(uuid.uuid4()),
        subject=subject,
        subject_id=found,
        filename=safe_filename(filename),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=current_actor(),
        created_at=utcnow(),
    )
    await uow.attachments.add(stored, content)
    await uow.note(
        "orders.file.attached",
        summary=f"File {stored.filename} attached ({stored.size} bytes, {content_type})",
        data={"file_id": stored.id, "filename": stored.filename, "size": stored.size},
        **_on(subject, found),
    )
    return stored


async def list_files(uow: UnitOfWork, subject: Subject, record_id: str) -> list[StoredFile]:
    found = await subject_id(uow, subject, record_id)
    return await uow.attachments.of_subject(subject, found)


async def get_file(
    uow: UnitOfWork, subject: Subject, record_id: str, file_id: str
) -> tuple[StoredFile, bytes]:
    found = await subject_id(uow, subject, record_id)
    stored = await uow.attachments.get(file_id)
    if stored is None or (stored[0].subject, stored[0].subject_id) != (subject, found):
        raise FileNotFound(file_id)
    return stored


async def remove_file(uow: UnitOfWork, subject: Subject, record_id: str, file_id: str) -> None:
    stored, _ = await get_file(uow, subject, record_id, file_id)
    await uow.attachments.delete(stored.id)
    await uow.note(
        "orders.file.removed",
        summary=f"File {stored.filename} removed",
        data={"file_id": stored.id, "filename": stored.filename},
        **_on(subject, stored.subject_id),
    )
