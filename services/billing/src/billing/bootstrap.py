"""The composition root of the billing service."""

from billing import __version__
from billing.adapters.tables import metadata
from billing.config import BillingSettings
from servicekit.runtime import ServiceSpec


def build_spec(settings: BillingSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="billing",
        title="Billing service",
        description="Invoices, payments and balances.",
        version=__version__,
        metadata=metadata,
        settings=settings or BillingSettings(),
    )
