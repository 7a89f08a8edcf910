"""Handlers of the supply side's events: a purchase order sent to its vendor becomes a PDF
e-mailed to the vendor; a shipment becomes its delivery note (packing slip)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import PurchaseOrderSent, ShipmentDispatched
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.domain.model import PrintableDocument
from documents.entrypoints.handlers import DocumentHandlers
from documents.service_layer import supply
from documents.service_layer.generation import Outcome
from documents.service_layer.templating import resolve_look


class SupplyHandlers:
    """Bound to the document handlers of one runtime (their renderer and storage)."""

    def __init__(self, documents: DocumentHandlers) -> None:
        self.documents = documents

    async def handle_purchase_order_sent(
        self, event: CloudEvent[PurchaseOrderSent], session: AsyncSession
    ) -> None:
        """Render and store the purchase order in the default template; the first time, queue
        it to the vendor's e-mail address (the same fact again sends nothing more)."""
        uow = SqlUnitOfWork(session)
        default = await uow.templates.get_default()
        look = default.look if default is not None else None
        printable = supply.purchase_order(event.data, event.time.date(), look)
        generated = await self.documents.generate(event, uow, printable, "purchase order")
        if generated.outcome is Outcome.CREATED:
            await supply.mail_to_vendor(
                uow,
                generated.document,
                event.data,
                requested_by=event.actor,
                correlation_id=event.correlationid,
            )

    async def handle_shipment_dispatched(
        self, event: CloudEvent[ShipmentDispatched], session: AsyncSession
    ) -> None:
        """Render and store the shipment's delivery note, from the order as last confirmed."""
        uow = SqlUnitOfWork(session)
        printable = await self.documents.printable(event, uow, self.delivery_note)
        await self.documents.generate(event, uow, printable, "order")

    async def delivery_note(
        self, event: CloudEvent[ShipmentDispatched], uow: SqlUnitOfWork
    ) -> PrintableDocument:
        order = await supply.order_of_shipment(uow, event.data)
        look = await resolve_look(uow, order.template_id)
        return supply.delivery_note(order, event.data, look)
