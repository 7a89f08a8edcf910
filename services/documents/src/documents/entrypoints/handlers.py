"""Handlers of the events the documents service consumes (run by the kit: inbox, retries, DLQ).

The kit parses each event into the payload model of its type (an invalid payload or an unknown
type is dead-lettered first), so a handler receives exactly the event it is registered for.
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
from contracts.events import (
    CreditNoteIssued,
    InvoiceIssued,
    OrderConfirmed,
    OrderRevised,
    QuoteSent,
)
from documents.adapters.pdf import RenderingFailed
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.model import PrintableDocument, ReferenceTaken
from documents.service_layer import printing
from documents.service_layer.generation import Generated, generate_document
from documents.service_layer.ports import DocumentStorage, Renderer
from documents.service_layer.supply import keep_order
from documents.service_layer.templating import resolve_look
from documents.service_layer.unit_of_work import UnitOfWork
from servicekit.consumer import PermanentError


class DocumentHandlers:
    """The event handlers, bound to the renderer and storage of one runtime."""

    def __init__(self, renderer: Renderer, storage: DocumentStorage) -> None:
        self.renderer = renderer
        self.storage = storage

    async def handle_order_confirmed(
        self, event: CloudEvent[OrderConfirmed], session: AsyncSession
    ) -> None:
        """Render and store the order confirmation."""
        uow = SqlUnitOfWork(session)
        order = event.data.order
        await keep_order(uow, order, event.sequence)  # for the delivery notes of its shipments
        look = await resolve_look(uow, order.template_id)
        await self.generate(event, uow, printing.order_confirmation(order, look), "order")

    async def handle_order_revised(
        self, event: CloudEvent[OrderRevised], session: AsyncSession
    ) -> None:
        """Render and store the confirmation again, as the order's new revision."""
        uow = SqlUnitOfWork(session)
        await keep_order(uow, event.data.order, event.sequence)  # its shipments print this one
        look = await resolve_look(uow, event.data.order.template_id)
        printable = printing.revised_order_confirmation(event.data, look)
        await self.generate(event, uow, printable, "order")

    async def handle_invoice_issued(
        self, event: CloudEvent[InvoiceIssued], session: AsyncSession
    ) -> None:
        """Render and store the invoice, in the template its order's confirmation asked for."""
        uow = SqlUnitOfWork(session)
        issued = event.data
        template_id = await uow.documents.template_of_order(issued.order_id)
        look = await resolve_look(uow, template_id)
        printable = printing.invoice(issued, look, template_id=template_id)
        await self.generate(event, uow, printable, "order")

    async def handle_credit_note_issued(
        self, event: CloudEvent[CreditNoteIssued], session: AsyncSession
    ) -> None:
        """Render and store the credit note, in the template its order's confirmation asked
        for (as its invoice was)."""
        uow = SqlUnitOfWork(session)
        issued = event.data
        template_id = await uow.documents.template_of_order(issued.order_id)
        look = await resolve_look(uow, template_id)
        printable = printing.credit_note(issued, look, template_id=template_id)
        await self.generate(event, uow, printable, "order")

    async def handle_quote_sent(self, event: CloudEvent[QuoteSent], session: AsyncSession) -> None:
        """Render and store the quotation."""
        uow = SqlUnitOfWork(session)
        look = await resolve_look(uow, event.data.content.template_id)
        await self.generate(event, uow, printing.quotation(event.data, look), "quote")

    async def generate(
        self,
        event: CloudEvent[Any],
        uow: UnitOfWork,
        printable: PrintableDocument,
        owner: str,
    ) -> Generated:
        subject = event.subject or printable.subject_id
        if subject != printable.subject_id:
            raise PermanentError(
                f"event subject {subject!r} is not the {owner} id {printable.subject_id!r}"
            )
        if not printable.number.strip():
            raise PermanentError(f"the {printable.kind.value} has no number")
        try:
            return await generate_document(
                uow,
                printable,
                subject=subject,
                cause=event,
                renderer=self.renderer,
                storage=self.storage,
            )
        except (ReferenceTaken, RenderingFailed) as exc:
            raise PermanentError(str(exc)) from exc
