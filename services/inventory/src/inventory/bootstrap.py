"""The composition root of the inventory service: its routes, subscriptions and tables."""

from contracts import EventType
from contracts.topics import INVENTORY_EVENTS, ORDERS_EVENTS
from inventory import __version__
from inventory.adapters.tables import metadata
from inventory.config import InventorySettings
from inventory.entrypoints import (
    adjustments_api,
    exports_api,
    products_api,
    products_import,
    purchase_orders_api,
    reservations_api,
    returns_api,
    shipments_api,
    stock_api,
    suggestions_api,
    vendors_api,
    warehouses_api,
)
from inventory.entrypoints.handlers import (
    handle_order_cancelled,
    handle_order_closed_short,
    handle_order_confirmed,
    handle_order_revised,
)
from servicekit.runtime import Runtime, ServiceSpec, Subscription

ROUTERS = (
    products_api.router,
    products_import.router,
    adjustments_api.router,
    stock_api.router,
    reservations_api.router,
    shipments_api.router,
    vendors_api.router,
    purchase_orders_api.router,
    returns_api.router,
    suggestions_api.router,
    warehouses_api.router,
    exports_api.router,
)


def build_spec(settings: InventorySettings | None = None) -> ServiceSpec:
    settings = settings or InventorySettings()
    importer = products_import.import_runner(settings)

    async def start_background(runtime: Runtime) -> None:
        """Workers run queued product imports until the runtime stops."""
        if runtime.worker:
            await importer.start(runtime.sessionmaker)

    async def stop_background(runtime: Runtime) -> None:
        await importer.stop()

    return ServiceSpec(
        name="inventory",
        title="Inventory service",
        description=(
            "Products, stock levels, reservations, shipments, adjustments, purchasing and returns."
        ),
        version=__version__,
        metadata=metadata,
        settings=settings,
        routers=ROUTERS,
        subscriptions=lambda _runtime: [
            Subscription(
                topic=ORDERS_EVENTS,
                handlers={
                    EventType.ORDER_CONFIRMED: handle_order_confirmed,
                    EventType.ORDER_CANCELLED: handle_order_cancelled,
                    EventType.ORDER_CLOSED_SHORT: handle_order_closed_short,
                    EventType.ORDER_REVISED: handle_order_revised,
                },
            )
        ],
        publishes=[INVENTORY_EVENTS],
        on_startup=[start_background],
        on_shutdown=[stop_background],
        body_limits={"/imports/": settings.import_max_bytes},
    )
