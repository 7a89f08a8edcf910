"""Handlers of the events the documents service consumes (run by the kit: inbox, retries, DLQ).

The kit parses each event into the payload model of its type (an invalid payload or an unknown
type is dead-lettered first), so a handler receives exactly the event it is registered for.
Here, facts that can never become a document are dead-lettered too (PermanentError); a missing
font or an unwritable storage directory raise OSError, which the consumer retries without end
instead of dead-lettering every event while the deployment is broken.

The template a document is printed in comes from the order's (or quote's) `template_id`; an
invoice is printed in the template its order's confirmation asked for.

Each rendering handler builds its printable document first (reads only); a batch's preparation
(`rendering_ahead`) builds them all before the handlers run and starts their renders, and the
stores of their files, side by side, and a handler whose event is the only one of the batch
about its subject takes the document built for it (`printable`, ADR 54).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent, EventType
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
from documents.service_layer.generation import Generated, generate_document, new_document_key
from documents.service_layer.ports import DocumentStorage, Renderer
from documents.service_layer.rendering_ahead import RenderedAhead
from documents.service_layer.supply import keep_order
from documents.service_layer.templating import resolve_look
from servicekit.consumer import BatchPreparation, PermanentError

PrintableOf = Callable[[CloudEvent[Any], SqlUnitOfWork], Awaitable[PrintableDocument]]
"""Builds the document an event is printed as, reading only (a handler's first step)."""

# Where a batch's renders started ahead wait for its handlers (`session.info`).
_RENDERED_AHEAD = "documents.rendered_ahead"


class DocumentHandlers:
    """The event handlers, bound to the renderer and storage of one runtime."""

    def __init__(self, renderer: Renderer, storage: DocumentStorage) -> None:
        self.renderer = renderer
        self.storage = storage

    def rendering_ahead(self, printables: Mapping[EventType, PrintableOf]) -> BatchPreparation:
        """A batch's preparation that starts rendering and storing its documents at once, side by
        side, for its handlers to take (`RenderedAhead`): `printables` builds each one, by event
        type."""

        async def prepare(session: AsyncSession, events: Sequence[CloudEvent[Any]]) -> None:
            uow = SqlUnitOfWork(session)
            ahead = RenderedAhead(self.renderer, self.storage, new_document_key)
            about = Counter(event.subject for event in events)
            for event in events:
                printable_of = printables.get(EventType(event.type))
                if printable_of is not None:
                    printable = await printable_of(event, uow)
                    ahead.start(printable)
                    if about[event.subject] == 1:  # no earlier handler writes about it
                        ahead.keep_built(event.id, printable)
            session.info[_RENDERED_AHEAD] = ahead

        return prepare

    async def printable(
        self, event: CloudEvent[Any], uow: SqlUnitOfWork, build: PrintableOf
    ) -> PrintableDocument:
        """What `build` makes of `event`: the document its batch's preparation built, if it
        kept it for this handler (`RenderedAhead.built_for`)."""
        ahead: RenderedAhead | None = uow.session.info.get(_RENDERED_AHEAD)
        if ahead is not None and (built := ahead.built_for(event.id)) is not None:
            return built
        return await build(event, uow)

    async def handle_order_confirmed(
        self, event: CloudEvent[OrderConfirmed], session: AsyncSession
    ) -> None:
        """Render and store the order confirmation."""
        uow = SqlUnitOfWork(session)
        await keep_order(uow, event.data.order, event.sequence)  # for its delivery notes
        await self.generate(
            event, uow, await self.printable(event, uow, self.order_confirmation), "order"
        )

    async def order_confirmation(
        self, event: CloudEvent[OrderConfirmed], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        order = event.data.order
        return printing.order_confirmation(order, await resolve_look(uow, order.template_id))

    async def handle_order_revised(
        self, event: CloudEvent[OrderRevised], session: AsyncSession
    ) -> None:
        """Render and store the confirmation again, as the order's new revision."""
        uow = SqlUnitOfWork(session)
        await keep_order(uow, event.data.order, event.sequence)  # its shipments print this one
        await self.generate(
            event, uow, await self.printable(event, uow, self.revised_confirmation), "order"
        )

    async def revised_confirmation(
        self, event: CloudEvent[OrderRevised], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        look = await resolve_look(uow, event.data.order.template_id)
        return printing.revised_order_confirmation(event.data, look)

    async def handle_invoice_issued(
        self, event: CloudEvent[InvoiceIssued], session: AsyncSession
    ) -> None:
        """Render and store the invoice, in the template its order's confirmation asked for."""
        uow = SqlUnitOfWork(session)
        await self.generate(event, uow, await self.printable(event, uow, self.invoice), "order")

    async def invoice(
        self, event: CloudEvent[InvoiceIssued], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        template_id = await uow.documents.template_of_order(event.data.order_id)
        look = await resolve_look(uow, template_id)
        return printing.invoice(event.data, look, template_id=template_id)

    async def handle_credit_note_issued(
        self, event: CloudEvent[CreditNoteIssued], session: AsyncSession
    ) -> None:
        """Render and store the credit note, in the template its order's confirmation asked
        for (as its invoice was)."""
        uow = SqlUnitOfWork(session)
        await self.generate(event, uow, await self.printable(event, uow, self.credit_note), "order")

    async def credit_note(
        self, event: CloudEvent[CreditNoteIssued], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        template_id = await uow.documents.template_of_order(event.data.order_id)
        look = await resolve_look(uow, template_id)
        return printing.credit_note(event.data, look, template_id=template_id)

    async def handle_quote_sent(self, event: CloudEvent[QuoteSent], session: AsyncSession) -> None:
        """Render and store the quotation."""
        uow = SqlUnitOfWork(session)
        await self.generate(event, uow, await self.printable(event, uow, self.quotation), "quote")

    async def quotation(
        self, event: CloudEvent[QuoteSent], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        look = await resolve_look(uow, event.data.content.template_id)
        return printing.quotation(event.data, look)

    async def generate(
        self,
        event: CloudEvent[Any],
        uow: SqlUnitOfWork,
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
        ahead: RenderedAhead | None = uow.session.info.get(_RENDERED_AHEAD)
        try:
            return await generate_document(
                uow,
                printable,
                subject=subject,
                cause=event,
                renderer=ahead or self.renderer,
                storage=ahead or self.storage,
            )
        except (ReferenceTaken, RenderingFailed) as exc:
            raise PermanentError(str(exc)) from exc
