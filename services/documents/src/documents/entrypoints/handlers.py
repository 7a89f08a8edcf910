"""Handlers of the events the documents service consumes (run by the kit: inbox, retries, DLQ).

A payload that fails validation never reaches these handlers (the consumer dead-letters it).
Here, facts that can never become a document are dead-lettered too (PermanentError); a missing
font or an unwritable storage directory raise OSError, which the consumer retries without end
instead of dead-lettering every event while the deployment is broken.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import InvoiceIssued, OrderConfirmed
from documents.adapters.pdf import RenderingFailed
from documents.adapters.repository import SqlUnitOfWork
from documents.adapters.storage import DocumentStorage
from documents.domain.model import PrintableDocument, ReferenceTaken
from documents.service_layer import printing
from documents.service_layer.generation import Renderer, generate_document
from servicekit.consumer import PermanentError


class DocumentHandlers:
    """The event handlers, bound to the renderer and storage of one runtime."""

    def __init__(self, renderer: Renderer, storage: DocumentStorage) -> None:
        self.renderer = renderer
        self.storage = storage

    async def handle_order_confirmed(self, event: CloudEvent[Any], session: AsyncSession) -> None:
        """Render and store the order confirmation."""
        data = event.data
        if not isinstance(data, OrderConfirmed):
            raise PermanentError(f"expected an OrderConfirmed payload, got {type(data).__name__}")
        await self._generate(event, session, printing.order_confirmation(data.order))

    async def handle_invoice_issued(self, event: CloudEvent[Any], session: AsyncSession) -> None:
        """Render and store the invoice."""
        data = event.data
        if not isinstance(data, InvoiceIssued):
            raise PermanentError(f"expected an InvoiceIssued payload, got {type(data).__name__}")
        await self._generate(event, session, printing.invoice(data))

    async def _generate(
        self, event: CloudEvent[Any], session: AsyncSession, printable: PrintableDocument
    ) -> None:
        subject = event.subject or printable.order_id
        if subject != printable.order_id:
            raise PermanentError(
                f"event subject {subject!r} is not the order id {printable.order_id!r}"
            )
        if not printable.number.strip():
            raise PermanentError(f"the {printable.kind.value} has no number")
        try:
            await generate_document(
                SqlUnitOfWork(session),
                printable,
                subject=subject,
                cause=event,
                renderer=self.renderer,
                storage=self.storage,
            )
        except (ReferenceTaken, RenderingFailed) as exc:
            raise PermanentError(str(exc)) from exc
