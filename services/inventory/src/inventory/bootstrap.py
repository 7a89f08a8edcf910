"""The composition root of the inventory service."""

from inventory import __version__
from inventory.adapters.tables import metadata
from inventory.config import InventorySettings
from servicekit.runtime import ServiceSpec


def build_spec(settings: InventorySettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="inventory",
        title="Inventory service",
        description="Products, stock levels, reservations, shipments and adjustments.",
        version=__version__,
        metadata=metadata,
        settings=settings or InventorySettings(),
    )
