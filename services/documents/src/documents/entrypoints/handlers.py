"""Handlers of the events the documents service consumes (run by the kit: inbox, retries, DLQ).

A payload that fails validation never reaches these handlers (the consumer dead-letters it).
Here, facts that can never become a document are dead-lettered too (PermanentError); a missing
font or an unwritable storage directory raise OSError, which the consumer retries without end
instead of dead-lettering every event while the deployment is broken.

The template a document is printed in comes from the order's (or quote's) `template_id`; an
invoice is printed in the template its order's confirmation asked for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import InvoiceIssued, OrderConfirmed, QuoteSent
from documents.adapters.pdf import RenderingFailed
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.model import PrintableDocument, ReferenceTaken
from documents.service_layer import printing
from documents.service_layer.generation import generate_document
from documents.service_layer.ports import DocumentStorage, Renderer
from documents.service_layer.templating import resolve_look
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
        uow = SqlUnitOfWork(session)
        look = await resolve_look(uow, data.order.template_id)
        await self._generate(event, uow, printing.order_confirmation(data.order, look), "order")

    async def handle_invoice_issued(self, event: CloudEvent[Any], session: AsyncSession) -> None:
        """Render and store the invoice."""
        data = event.data
        if not isinstance(data, InvoiceIssued):
            raise PermanentError(f"expected an InvoiceIssued payload, got {type(data).__name__}")
        uow = SqlUnitOfWork(session)
        template_id = await uow.documents.template_of_order(data.order_id)
        look = await resolve_look(uow, template_id)
        printable = printing.invoice(data, look, template_id=template_id)
        await self._generate(event, uow, printable, "order")

    async def handle_quote_sent(self, event: CloudEvent[Any], session: AsyncSession) -> None:
        """Render and store the quotation."""
        data = event.data
        if not isinstance(data, QuoteSent):
            raise PermanentError(f"expected a QuoteSent payload, got {type(data).__name__}")
        uow = SqlUnitOfWork(session)
        look = await resolve_look(uow, data.content.template_id)
        await self._generate(event, uow, printing.quotation(data, look), "quote")

    async def _generate(
        self,
        event: CloudEvent[Any],
        uow: SqlUnitOfWork,
        printable: PrintableDocument,
        owner: str,
    ) -> None:
        subject = event.subject or printable.subject_id
        if subject != printable.subject_id:
            raise PermanentError(
                f"event subject {subject!r} is not the {owner} id {printable.subject_id!r}"
            )
        if not printable.number.strip():
            raise PermanentError(f"the {printable.kind.value} has no number")
        try:
            await generate_document(
                uow,
                printable,
                subject=subject,
                cause=event,
                renderer=self.renderer,
                storage=self.storage,
            )
        except (ReferenceTaken, RenderingFailed) as exc:
            raise PermanentError(str(exc)) from exc
