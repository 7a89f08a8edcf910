"""The composition root of the documents service."""

from documents import __version__
from documents.adapters.tables import metadata
from documents.config import DocumentsSettings
from servicekit.runtime import ServiceSpec


def build_spec(settings: DocumentsSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="documents",
        title="Documents service",
        description="PDF order confirmations and invoices: rendering, storage and download.",
        version=__version__,
        metadata=metadata,
        settings=settings or DocumentsSettings(),
    )
