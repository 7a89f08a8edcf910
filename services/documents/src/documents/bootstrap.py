"""The composition root of the documents service."""

from contracts.events import EventType
from contracts.topics import BILLING_EVENTS, DOCUMENTS_EVENTS, ORDERS_EVENTS
from documents import __version__
from documents.adapters.pdf import Letterhead, PdfRenderer
from documents.adapters.storage import DocumentStorage, FileSystemStorage
from documents.adapters.tables import metadata
from documents.config import DocumentsSettings
from documents.entrypoints.handlers import DocumentHandlers
from documents.entrypoints.http import build_router
from servicekit.runtime import Runtime, ServiceSpec, Subscription


def build_renderer(settings: DocumentsSettings) -> PdfRenderer:
    letterhead = Letterhead(
        name=settings.company_name,
        address_lines=tuple(settings.company_address_lines),
        email=settings.company_email,
        phone=settings.company_phone,
        website=settings.company_website,
        vat_id=settings.company_vat_id,
        bank_details=tuple(settings.company_bank_details_lines),
    )
    return PdfRenderer(
        letterhead,
        font_path=settings.font_path,
        bold_font_path=settings.font_bold_path,
        page_size=settings.page_size,
    )


def build_spec(
    settings: DocumentsSettings | None = None, *, storage: DocumentStorage | None = None
) -> ServiceSpec:
    settings = settings or DocumentsSettings()
    renderer = build_renderer(settings)
    storage = storage or FileSystemStorage(settings.storage_dir)
    handlers = DocumentHandlers(renderer, storage)

    async def check_dependencies(runtime: Runtime) -> None:
        """Fail a worker's start with a clear message when the fonts or storage are unusable.

        `documents serve|worker` checks the fonts earlier still, before anything connects.
        """
        if runtime.worker:
            renderer.check_fonts()
            await storage.check()

    return ServiceSpec(
        name="documents",
        title="Documents service",
        description="PDF order confirmations and invoices: rendering, storage and download.",
        version=__version__,
        metadata=metadata,
        settings=settings,
        routers=[build_router(storage)],
        subscriptions=lambda runtime: [
            Subscription(
                topic=ORDERS_EVENTS,
                handlers={EventType.ORDER_CONFIRMED: handlers.handle_order_confirmed},
            ),
            Subscription(
                topic=BILLING_EVENTS,
                handlers={EventType.INVOICE_ISSUED: handlers.handle_invoice_issued},
            ),
        ],
        publishes=[DOCUMENTS_EVENTS],
        on_startup=[check_dependencies],
    )
