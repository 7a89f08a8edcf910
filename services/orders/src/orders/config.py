"""Settings of the orders service (environment variables `ORDERS_*`, Kafka from `KAFKA_*`)."""

from decimal import Decimal
from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orders.domain.attachments import DEFAULT_TYPES
from orders.domain.ownership import Visibility
from servicekit.settings import ServiceSettings
from servicekit.webhooks import WebhookSettings


class OrdersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://orders:orders@127.0.0.1:55432/orders"
    port: int = 8001
    # Where people download documents: PDF links of orders and quotes redirect there.
    documents_url: str = "http://127.0.0.1:8004"
    # Webhooks to other systems (`WEBHOOK_*`: targets allowed, timeout, retries, retention).
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    # CSV imports: the most rows one file may have (a larger one is refused whole).
    import_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    # Files with more rows are imported in the background (202, then GET /imports/{id}).
    import_sync_rows: int = Field(default=2_000, ge=0)
    # The largest CSV file accepted by POST /imports/* (413 beyond); other requests keep
    # `max_request_bytes`.
    import_max_bytes: int = Field(default=16 * 1_048_576, ge=1024)
    # Which customers, quotes and orders each role sees: `own`, `team` or `all`, e.g.
    # ORDERS_VISIBILITY='{"sales": "own", "sales_manager": "team"}'. A caller gets the widest of
    # their roles; roles not listed (and admin) see all.
    visibility: dict[str, Visibility] = Field(default_factory=dict)
    # Files attached to orders, quotes and customers: the largest accepted (413 beyond) and
    # the media types accepted (415 otherwise), e.g. ORDERS_FILE_TYPES='["application/pdf"]'.
    file_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=100 * 1024 * 1024)
    file_types: list[str] = Field(default_factory=lambda: list(DEFAULT_TYPES))
    # Product lines must name an item of the catalogue view (fed by inventory's product events):
    # an unknown SKU is refused. Off, an unknown SKU is taken as given (an inactive one never).
    catalogue_required: bool = True
    # The tax rate (percent) of each tax category of the catalogue, for order and quote lines
    # that give none, e.g. ORDERS_TAX_RATES='{"standard": "21", "reduced": "10", "zero": "0"}'.
    # A line without a rate whose item's category is not listed is refused (422).
    tax_rates: dict[str, Annotated[Decimal, Field(ge=0, le=100)]] = Field(default_factory=dict)
    # How often workers set the sales gauges (suite_sales_*) from the sales read model.
    sales_metrics_interval_seconds: float = Field(default=30.0, gt=0)
