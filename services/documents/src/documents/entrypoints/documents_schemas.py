"""What the documents API reads and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from documents.domain.model import DocumentKind
from servicekit.pagination import Page


class DocumentRead(BaseModel):
    """A generated document: of an order (`order_id`), of a quote (a quotation) or of a
    purchase order."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: str | None = Field(description="The order; null for a quotation or a purchase order")
    quote_id: str | None = Field(default=None, description="The quote of a quotation")
    purchase_order_id: str | None = Field(
        default=None, description="The purchase order of a purchase order's PDF"
    )
    kind: DocumentKind
    reference: str = Field(description="The order, invoice or quote number the document shows")
    filename: str
    content_type: str
    size: int
    sha256: str
    download_path: str
    template_id: str | None = Field(default=None, description="The template the order asked for")
    language: str | None = Field(default=None, description="Of the labels; null: English")
    created_at: datetime


class DocumentPage(Page[DocumentRead]):
    """One page of documents."""


DocumentId = Annotated[uuid.UUID, Path(description="The document's id")]
