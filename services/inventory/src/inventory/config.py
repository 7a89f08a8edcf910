"""Settings of the inventory service (environment variables `INVENTORY_*`, Kafka from `KAFKA_*`)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    database_url: str = "postgresql+asyncpg://inventory:inventory@127.0.0.1:55432/inventory"
    port: int = 8002
