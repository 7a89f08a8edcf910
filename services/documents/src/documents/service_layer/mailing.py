"""The e-mail seam (a later issue; nothing sends mail yet).

How it will plug in, without a dual write: a `DocumentMailer` implementation (SMTP, a mail
API) is called by a consumer of this service's own `suite.document.generated.v1` events (or of
a dedicated outbox row written by `generate_document`), which loads the stored bytes through
`DocumentStorage`, sends them to the customer's address and records the delivery in its own
table inside the consumer's transaction, so a redelivered event sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from documents.domain.model import Document


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None


class DocumentMailer(Protocol):
    async def send(
        self, document: Document, content: bytes, recipient: Recipient, *, message_id: str
    ) -> None:
        """Send the document as an attachment; `message_id` lets the provider deduplicate."""
