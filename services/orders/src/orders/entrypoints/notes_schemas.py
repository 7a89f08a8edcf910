"""Bodies of notes and files on orders, quotes and customers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from orders.entrypoints.shared_schemas import RequestBody


class NoteCreate(RequestBody):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]


class NoteRead(BaseModel):
    note_id: str
    text: str
    author: str | None = Field(description="The token subject who wrote it")
    created_at: datetime


class NotePage(BaseModel):
    items: list[NoteRead]


class FileRead(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    created_at: datetime
    download_path: str


class FilePage(BaseModel):
    items: list[FileRead]
