"""What the statements API answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from documents.domain.statements import StatementDocument
from servicekit.pagination import Page


class StatementRead(BaseModel):
    """A printed customer statement (billing's statement id is its id)."""

    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    customer_id: str
    customer_name: str | None
    from_: date = Field(alias="from")
    to: date
    filename: str
    content_type: str
    size: int
    sha256: str
    download_path: str
    created_at: datetime

    @classmethod
    def of(cls, statement: StatementDocument) -> StatementRead:
        return cls(
            id=statement.id,
            customer_id=statement.customer_id,
            customer_name=statement.customer_name,
            from_=statement.period_start,
            to=statement.period_end,
            filename=statement.filename,
            content_type=statement.content_type,
            size=statement.size,
            sha256=statement.sha256,
            download_path=statement.download_path,
            created_at=statement.created_at,
        )


class StatementPage(Page[StatementRead]):
    """One page of statements."""


StatementId = Annotated[uuid.UUID, Path(description="The statement's id (billing's)")]
