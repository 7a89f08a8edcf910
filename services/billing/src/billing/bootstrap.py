"""The composition root of the billing service."""

from datetime import UTC, datetime

from billing import __version__
from billing.adapters.tables import metadata
from billing.config import BillingSettings
from billing.entrypoints import (
    collection_api,
    credit_notes_api,
    customer_payments_api,
    down_payments_api,
    einvoice_api,
    exports_api,
    invoice_drafts_api,
    invoices_api,
    order_invoicing_api,
    payments_api,
    printing_api,
    receivables_api,
    recurring_schedules_api,
    refunds_api,
)
from billing.entrypoints.collection import Clock, CollectionLoop
from billing.entrypoints.handlers import Handlers
from billing.entrypoints.recurring import RecurringLoop
from contracts import EventType
from contracts.topics import BILLING_EVENTS, INVENTORY_EVENTS, ORDERS_EVENTS
from servicekit.runtime import ServiceSpec, Subscription


def build_spec(
    settings: BillingSettings | None = None, *, clock: Clock = lambda: datetime.now(UTC)
) -> ServiceSpec:
    """The billing service; `clock` dates the daily collection run (tests pass their own)."""
    settings = settings or BillingSettings()
    collection = CollectionLoop(settings, clock)
    recurring = RecurringLoop(settings, clock)
    handlers = Handlers(default_policy=settings.invoicing_policy)
    return ServiceSpec(
        name="billing",
        title="Billing service",
        description="Invoices, payments and balances.",
        version=__version__,
        metadata=metadata,
        settings=settings,
        routers=[
            invoices_api.router,
            credit_notes_api.router,
            order_invoicing_api.router,
            invoice_drafts_api.router,
            down_payments_api.router,
            recurring_schedules_api.router,
            payments_api.router,
            customer_payments_api.router,
            refunds_api.router,
            receivables_api.router,
            collection_api.router,
            exports_api.router,
            einvoice_api.router,
            printing_api.router,
        ],
        subscriptions=lambda _runtime: [
            Subscription(
                topic=ORDERS_EVENTS,
                handlers={
                    EventType.ORDER_CREATED: handlers.order_created,
                    EventType.ORDER_CONFIRMED: handlers.order_confirmed,
                    EventType.ORDER_CANCELLED: handlers.order_cancelled,
                    EventType.ORDER_COMPLETED: handlers.order_completed,
                    EventType.CUSTOMER_CHANGED: handlers.customer_changed,
                },
            ),
            Subscription(
                topic=INVENTORY_EVENTS,
                handlers={
                    EventType.SHIPMENT_DISPATCHED: handlers.shipment_dispatched,
                    EventType.RETURN_RECEIVED: handlers.return_received,
                },
            ),
        ],
        publishes=[BILLING_EVENTS],
        on_startup=[collection.start, recurring.start],
        on_shutdown=[collection.stop, recurring.stop],
    )
