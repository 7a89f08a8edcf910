"""Settings shared by every service; each value also comes from the environment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.auth import AuthSettings

# PostgreSQL's `plan_cache_mode` values (ADR 59).
PlanCacheMode = Literal["auto", "force_generic_plan", "force_custom_plan"]


class KafkaSettings(BaseSettings):
    """Kafka connection (`KAFKA_*`), identical for every service of one deployment."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:19092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    topic_prefix: str = Field(
        default="",
        max_length=100,
        description="Put before every topic name: several environments can share one cluster",
    )

    def topic(self, name: str) -> str:
        """The physical name of a catalogue topic."""
        return f"{self.topic_prefix}{name}"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments understood by aiokafka's clients (and so by FastStream's broker)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
            )
        return options

    def broker_options(self) -> dict[str, Any]:
        """Keyword arguments for FastStream's KafkaBroker (which takes a `security` object)."""
        from faststream.security import (
            BaseSecurity,
            SASLPlaintext,
            SASLScram256,
            SASLScram512,
        )

        options = self.client_options()
        ssl_context = options.pop("ssl_context", None)
        options.pop("security_protocol")
        for key in ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password"):
            options.pop(key, None)
        use_ssl = self.security_protocol in ("SSL", "SASL_SSL")
        security: BaseSecurity | None = None
        if self.sasl_mechanism:
            mechanism = {
                "PLAIN": SASLPlaintext,
                "SCRAM-SHA-256": SASLScram256,
                "SCRAM-SHA-512": SASLScram512,
            }[self.sasl_mechanism]
            password = self.sasl_password.get_secret_value() if self.sasl_password else ""
            security = mechanism(
                username=self.sasl_username or "",
                password=password,
                ssl_context=ssl_context,
                use_ssl=use_ssl,
            )
        elif use_ssl:
            security = BaseSecurity(ssl_context=ssl_context, use_ssl=True)
        options["security"] = security
        return options


class ServiceSettings(BaseSettings):
    """Per-service settings; subclasses set `env_prefix` (e.g. `ORDERS_`)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    # 30 kept, none beyond (ADR 38): a connection opened for a peak and closed after it cost
    # ~15 ms of CPU and its statements prepared again; a request past 30 waits for one.
    database_pool_size: int = Field(
        default=30, ge=1, le=500, description="connections kept open per process, opened lazily"
    )
    database_max_overflow: int = Field(
        default=0, ge=0, le=500, description="opened beyond the pool at peaks, closed after"
    )
    # PostgreSQL's own choice by default; a service whose statements all find their rows by
    # keys and arrays of keys can plan each once per connection (ADR 59).
    database_plan_cache_mode: PlanCacheMode = Field(
        default="auto",
        description="plan_cache_mode of the service's connections: how prepared statements plan",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    json_logs: bool = True
    public_url: str | None = Field(default=None, description="Base URL other systems reach us at")

    outbox_batch_size: int = Field(default=200, ge=1, le=5000)
    outbox_poll_interval_seconds: float = Field(default=2.0, gt=0)
    consumer_batch_size: int = Field(
        default=100,
        ge=1,
        le=5000,
        description="records a consumer handles in one transaction (1: one at a time)",
    )
    consumer_commit_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="offsets committed together at most this often (0: after every batch)",
    )
    consumer_fetch_wait_ms: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description=(
            "how long a consumer's fetch lets events gather (up to 1 MiB) before it returns "
            "them; 0: as soon as there is one (ADR 48)"
        ),
    )
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_max_backoff_seconds: float = Field(default=10.0, ge=0)
    readiness_timeout_seconds: float = Field(default=3.0, gt=0)
    lag_interval_seconds: float = Field(default=15.0, gt=0, description="consumer lag metric")
    max_request_bytes: int = Field(default=1_048_576, ge=1024, description="413 above this")
    idempotency_ttl_hours: float = Field(
        default=24.0, gt=0, description="how long an Idempotency-Key is remembered"
    )
    # Retention (servicekit.retention, run by workers); docs/operating.md says how to choose.
    retention_outbox_days: float = Field(default=7.0, gt=0, description="after publication")
    retention_inbox_days: float = Field(
        default=45.0, gt=0, description="beyond dead-letter plus event topic retention"
    )
    retention_batch_size: int = Field(default=1000, ge=1, le=100_000)
    retention_interval_seconds: float = Field(default=600.0, gt=0)

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
