"""Handlers of billing's requests to print: a customer's statement and an e-invoice (the
kit runs them: inbox, retries, dead letters). What can never become a document is
dead-lettered with the reason (PermanentError)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import CloudEvent
from contracts.events import EInvoicePrepared, StatementPrepared
from documents.adapters.pdf import RenderingFailed
from documents.adapters.unit_of_work import SqlUnitOfWork
from documents.service_layer.einvoicing import EInvoiceAssembler, EInvoiceRefused, make_einvoice
from documents.service_layer.ports import DocumentStorage
from documents.service_layer.statements import NotAStatementId, StatementRenderer, print_statement
from servicekit.consumer import PermanentError


class AccountDocumentHandlers:
    def __init__(
        self,
        statement_renderer: StatementRenderer,
        assembler: EInvoiceAssembler,
        storage: DocumentStorage,
    ) -> None:
        self.statement_renderer = statement_renderer
        self.assembler = assembler
        self.storage = storage

    async def handle_statement_prepared(
        self, event: CloudEvent[StatementPrepared], session: AsyncSession
    ) -> None:
        """Print and store the customer's statement."""
        if event.subject is not None and event.subject != event.data.customer_id:
            raise PermanentError(
                f"event subject {event.subject!r} is not the customer {event.data.customer_id!r}"
            )
        try:
            await print_statement(
                SqlUnitOfWork(session),
                event,
                renderer=self.statement_renderer,
                storage=self.storage,
            )
        except (NotAStatementId, RenderingFailed) as exc:
            raise PermanentError(str(exc)) from exc

    async def handle_einvoice_prepared(
        self, event: CloudEvent[EInvoicePrepared], session: AsyncSession
    ) -> None:
        """Embed the CII XML in the invoice's PDF: the Factur-X document of the invoice."""
        try:
            await make_einvoice(
                SqlUnitOfWork(session), event, assembler=self.assembler, storage=self.storage
            )
        except EInvoiceRefused as exc:
            raise PermanentError(str(exc)) from exc
