"""A customer's contact people: whom orders and quotes are addressed to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Contact:
    id: str
    customer_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    phone: str | None = None
    position: str | None = None

    @property
    def label(self) -> str:
        """How an order or quote names the contact it was given (its `contact` text)."""
        label = f"{self.name} <{self.email}>" if self.email else self.name
        return label[:200]
