"""Settings of the inventory service (environment variables `INVENTORY_*`, Kafka from `KAFKA_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import PlanCacheMode, ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://inventory:inventory@127.0.0.1:55432/inventory"
    port: int = 8002
    # Inventory's statements find their rows by keys and arrays of keys, and its lists were as
    # fast with generic plans on a shop of 65,000 shipments: each statement is planned once
    # per connection (a shipment's statement was planned again at every shipment; ADR 59).
    database_plan_cache_mode: PlanCacheMode = "force_generic_plan"
    # Products CSV import: the most rows one file may have (a larger one is refused whole).
    import_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    # Files with more rows are imported in the background (202, then GET /imports/{id}).
    import_sync_rows: int = Field(default=2_000, ge=0)
    # The largest CSV file accepted by POST /imports/* (413 beyond); other requests keep
    # `max_request_bytes`.
    import_max_bytes: int = Field(default=16 * 1_048_576, ge=1024)
