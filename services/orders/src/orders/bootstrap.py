"""The composition root of the orders service."""

from collections.abc import Sequence

from contracts.topics import (
    BILLING_EVENTS,
    DOCUMENTS_EVENTS,
    INVENTORY_EVENTS,
    ORDERS_EVENTS,
    ORDERS_INBOUND,
)
from orders import __version__
from orders.adapters.batch_reads import read_orders_of
from orders.adapters.tables import metadata
from orders.config import OrdersSettings
from orders.entrypoints.handlers import handlers_for
from orders.entrypoints.http import ROUTERS, SEE_AS_CALLER
from orders.entrypoints.import_runner import ImportRunner
from orders.entrypoints.sales_metrics import SalesMetrics
from orders.entrypoints.webhook_dispatcher import WebhookDispatcher
from servicekit.runtime import Runtime, ServiceSpec, Subscription


def subscriptions(runtime: Runtime) -> Sequence[Subscription]:
    """Inbound orders, every fact other services report about our orders, and the catalogue
    (products and stock levels) for the catalogue view.

    stock.adjusted is about a SKU and told again by stock.level_changed: not consumed.
    """
    settings = runtime.settings
    assert isinstance(settings, OrdersSettings)
    handlers = handlers_for(catalogue_required=settings.catalogue_required)
    return [
        Subscription(
            topic=topic,
            handlers={t: h for t, h in handlers.items() if t in topic.event_types},
            prepare_batch=read_orders_of,
        )
        for topic in (ORDERS_INBOUND, INVENTORY_EVENTS, BILLING_EVENTS, DOCUMENTS_EVENTS)
    ]


def build_spec(settings: OrdersSettings | None = None) -> ServiceSpec:
    settings = settings or OrdersSettings()
    dispatcher = WebhookDispatcher(settings.webhooks)
    importer = ImportRunner(
        max_rows=settings.import_max_rows, catalogue_required=settings.catalogue_required
    )

    sales = SalesMetrics(settings.sales_metrics_interval_seconds)

    async def start_background(runtime: Runtime) -> None:
        """Workers send webhook deliveries, run queued imports and keep the sales gauges fresh
        until the runtime stops."""
        if runtime.worker:
            await dispatcher.start(runtime.sessionmaker, runtime.settings.database_url)
            await importer.start(runtime.sessionmaker)
            await sales.start(runtime.sessionmaker)

    async def stop_background(runtime: Runtime) -> None:
        await sales.stop()
        await importer.stop()
        await dispatcher.stop()

    return ServiceSpec(
        name="orders",
        title="Orders service",
        description=(
            "Customers, quotes and sales orders: status, stage and approval, fulfilment and "
            "billing state, and the per-order timeline."
        ),
        version=__version__,
        metadata=metadata,
        settings=settings,
        routers=ROUTERS,
        route_dependencies=[SEE_AS_CALLER],
        subscriptions=subscriptions,
        publishes=[ORDERS_EVENTS],
        on_startup=[start_background],
        on_shutdown=[stop_background],
        body_limits={"/imports/": settings.import_max_bytes},
    )
