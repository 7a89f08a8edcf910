"""The composition root of the documents service."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from contracts.events import EventType
from contracts.topics import BILLING_EVENTS, DOCUMENTS_EVENTS, INVENTORY_EVENTS, ORDERS_EVENTS
from documents import __version__
from documents.adapters.facturx import FacturXAssembler
from documents.adapters.pdf import Letterhead, PdfRenderer, PooledRenderer
from documents.adapters.pdf.statement import StatementRenderer
from documents.adapters.smtp import SmtpConfig, SmtpMailer
from documents.adapters.storage import FileSystemStorage
from documents.adapters.tables import metadata
from documents.config import DocumentsSettings
from documents.domain.emails import RetryPolicy
from documents.entrypoints.account_handlers import AccountDocumentHandlers
from documents.entrypoints.documents_api import build_documents_router
from documents.entrypoints.emails_api import build_emails_router
from documents.entrypoints.exports_api import build_exports_router
from documents.entrypoints.file_sweeper import FileSweeper
from documents.entrypoints.handlers import DocumentHandlers
from documents.entrypoints.notifications import handle_order_milestone
from documents.entrypoints.notifications_api import build_notifications_router
from documents.entrypoints.reminders import handle_dunning_level_reached
from documents.entrypoints.sender import EmailSender
from documents.entrypoints.statements_api import build_statements_router
from documents.entrypoints.supply_handlers import SupplyHandlers
from documents.entrypoints.templates_api import build_templates_router
from documents.service_layer.notifications import NOTIFIED_MILESTONES
from documents.service_layer.ports import DocumentStorage, Mailer, SweptStorage
from servicekit.runtime import Runtime, ServiceSpec, Subscription

log = logging.getLogger(__name__)


def build_letterhead(settings: DocumentsSettings) -> Letterhead:
    return Letterhead(
        name=settings.company_name,
        address_lines=tuple(settings.company_address_lines),
        email=settings.company_email,
        phone=settings.company_phone,
        website=settings.company_website,
        vat_id=settings.company_vat_id,
        bank_details=tuple(settings.company_bank_details_lines),
    )


def build_renderer(settings: DocumentsSettings) -> PdfRenderer:
    return PdfRenderer(
        build_letterhead(settings),
        font_path=settings.font_path,
        bold_font_path=settings.font_bold_path,
        page_size=settings.page_size,
    )


def build_statement_renderer(settings: DocumentsSettings) -> StatementRenderer:
    return StatementRenderer(
        build_letterhead(settings),
        font_path=settings.font_path,
        bold_font_path=settings.font_bold_path,
        page_size=settings.page_size,
    )


def build_pooled_renderer(settings: DocumentsSettings) -> PooledRenderer:
    return PooledRenderer(
        build_renderer(settings),
        processes=settings.render_processes,
        niceness=settings.render_niceness,
    )


def build_mailer(settings: DocumentsSettings) -> SmtpMailer:
    return SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_use_tls,
            timeout=settings.smtp_timeout,
        )
    )


def build_sender(
    settings: DocumentsSettings, storage: DocumentStorage, mailer: Mailer
) -> EmailSender:
    return EmailSender(
        storage=storage,
        mailer=mailer,
        sender=settings.smtp_from,
        policy=RetryPolicy(
            max_attempts=settings.email_max_attempts,
            backoff_seconds=settings.email_backoff_seconds,
            max_backoff_seconds=settings.email_max_backoff_seconds,
        ),
        poll_interval=settings.email_poll_interval_seconds,
        stop_timeout=settings.smtp_timeout + 5,
    )


def build_spec(
    settings: DocumentsSettings | None = None,
    *,
    storage: SweptStorage | None = None,
    mailer: Mailer | None = None,
) -> ServiceSpec:
    settings = settings or DocumentsSettings()
    renderer = build_pooled_renderer(settings)
    storage = storage or FileSystemStorage(settings.storage_dir)
    handlers = DocumentHandlers(renderer, storage)
    account = AccountDocumentHandlers(
        build_statement_renderer(settings), FacturXAssembler(), storage
    )
    supply = SupplyHandlers(handlers)
    sender = build_sender(settings, storage, mailer or build_mailer(settings))
    sweeper = FileSweeper(
        storage,
        interval=settings.file_sweep_interval_seconds,
        grace=timedelta(seconds=settings.file_sweep_grace_seconds),
    )

    async def check_dependencies(runtime: Runtime) -> None:
        """Fail a worker's start with a clear message when the fonts or storage are unusable.

        `documents serve|worker` checks the fonts earlier still, before anything connects.
        """
        if runtime.worker:
            renderer.check_fonts()
            await storage.check()

    async def start_rendering(runtime: Runtime) -> None:
        """Workers render in a process pool that lives as long as the runtime."""
        if runtime.worker:
            await asyncio.to_thread(renderer.start)

    async def stop_rendering(runtime: Runtime) -> None:
        await asyncio.to_thread(renderer.stop)  # waits for the workers to exit

    async def start_sender(runtime: Runtime) -> None:
        """Workers deliver queued e-mails in the background until the runtime stops."""
        if runtime.worker:
            await sender.start(runtime.sessionmaker)
            log.info(
                "e-mail sender started (SMTP %s:%d, from %s)",
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
            )

    async def stop_sender(runtime: Runtime) -> None:
        if runtime.worker:
            await sender.stop()

    async def start_sweeper(runtime: Runtime) -> None:
        """Workers delete unreferenced stored files in the background (unless turned off)."""
        if runtime.worker and settings.file_sweep_interval_seconds > 0:
            await sweeper.start(runtime.sessionmaker)

    async def stop_sweeper(runtime: Runtime) -> None:
        await sweeper.stop()

    return ServiceSpec(
        name="documents",
        title="Documents service",
        description=(
            "PDF order confirmations, invoices, quotations, purchase orders and delivery notes "
            "in administrator-defined templates: rendering, storage, download and e-mail."
        ),
        version=__version__,
        metadata=metadata,
        settings=settings,
        routers=[
            build_documents_router(storage, sender.wake),
            build_exports_router(),
            build_emails_router(sender.wake),
            build_templates_router(),
            build_notifications_router(),
            build_statements_router(storage),
        ],
        subscriptions=lambda runtime: [
            Subscription(
                topic=ORDERS_EVENTS,
                handlers={
                    EventType.ORDER_CONFIRMED: handlers.handle_order_confirmed,
                    EventType.ORDER_REVISED: handlers.handle_order_revised,
                    EventType.QUOTE_SENT: handlers.handle_quote_sent,
                    **dict.fromkeys(NOTIFIED_MILESTONES, handle_order_milestone),
                },
                prepare_batch=handlers.rendering_ahead(
                    {
                        EventType.ORDER_CONFIRMED: handlers.order_confirmation,
                        EventType.ORDER_REVISED: handlers.revised_confirmation,
                        EventType.QUOTE_SENT: handlers.quotation,
                    }
                ),
            ),
            Subscription(
                topic=BILLING_EVENTS,
                handlers={
                    EventType.INVOICE_ISSUED: handlers.handle_invoice_issued,
                    EventType.CREDIT_NOTE_ISSUED: handlers.handle_credit_note_issued,
                    EventType.DUNNING_LEVEL_REACHED: handle_dunning_level_reached,
                    EventType.STATEMENT_PREPARED: account.handle_statement_prepared,
                    EventType.EINVOICE_PREPARED: account.handle_einvoice_prepared,
                },
                prepare_batch=handlers.rendering_ahead(
                    {
                        EventType.INVOICE_ISSUED: handlers.invoice,
                        EventType.CREDIT_NOTE_ISSUED: handlers.credit_note,
                    }
                ),
            ),
            Subscription(
                topic=INVENTORY_EVENTS,
                handlers={
                    EventType.PURCHASE_ORDER_SENT: supply.handle_purchase_order_sent,
                    EventType.SHIPMENT_DISPATCHED: supply.handle_shipment_dispatched,
                },
                prepare_batch=handlers.rendering_ahead(
                    {EventType.SHIPMENT_DISPATCHED: supply.delivery_note}
                ),
            ),
        ],
        publishes=[DOCUMENTS_EVENTS],
        on_startup=[check_dependencies, start_rendering, start_sender, start_sweeper],
        on_shutdown=[stop_sweeper, stop_sender, stop_rendering],
    )
