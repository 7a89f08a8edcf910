"""The composition root of the inventory service."""

from contracts import EventType
from contracts.topics import INVENTORY_EVENTS, ORDERS_EVENTS
from inventory import __version__
from inventory.adapters.tables import metadata
from inventory.config import InventorySettings
from inventory.entrypoints.handlers import handle_order_cancelled, handle_order_confirmed
from inventory.entrypoints.http import ROUTERS
from servicekit.runtime import ServiceSpec, Subscription


def build_spec(settings: InventorySettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="inventory",
        title="Inventory service",
        description="Products, stock levels, reservations, shipments and adjustments.",
        version=__version__,
        metadata=metadata,
        settings=settings or InventorySettings(),
        routers=ROUTERS,
        subscriptions=lambda _runtime: [
            Subscription(
                topic=ORDERS_EVENTS,
                handlers={
                    EventType.ORDER_CONFIRMED: handle_order_confirmed,
                    EventType.ORDER_CANCELLED: handle_order_cancelled,
                },
            )
        ],
        publishes=[INVENTORY_EVENTS],
    )
