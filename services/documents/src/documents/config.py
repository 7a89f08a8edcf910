"""Settings of the documents service (environment variables `DOCUMENTS_*`, Kafka from `KAFKA_*`)."""

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://documents:documents@127.0.0.1:55432/documents"
    port: int = 8004
