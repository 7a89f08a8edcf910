"""The composition root of the orders service."""

from orders import __version__
from orders.adapters.tables import metadata
from orders.config import OrdersSettings
from servicekit.runtime import ServiceSpec


def build_spec(settings: OrdersSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="orders",
        title="Orders service",
        description=(
            "Customers and sales orders: status, fulfilment and billing state, "
            "and the per-order timeline."
        ),
        version=__version__,
        metadata=metadata,
        settings=settings or OrdersSettings(),
    )
