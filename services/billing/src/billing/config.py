"""Settings of the billing service (environment variables `BILLING_*`, Kafka from `KAFKA_*`)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://billing:billing@127.0.0.1:55432/billing"
    port: int = 8003
