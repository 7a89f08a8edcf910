"""Settings of the documents service (environment variables `DOCUMENTS_*`, Kafka from `KAFKA_*`)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings
from servicekit.visibility import Visibility

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"


def _lines(value: str | None) -> list[str]:
    """Split a multi-line setting on newlines (real ones, or a literal `\\n` in an env file)."""
    if not value:
        return []
    return [line.strip() for line in value.replace("\\n", "\n").splitlines() if line.strip()]


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://documents:documents@127.0.0.1:55432/documents"
    # Off the confirm → reserved path: its events may wait 100 ms to gather, leaving the cores to
    # orders and inventory while an order is reserved (ADR 48).
    consumer_fetch_wait_ms: int = Field(default=100, ge=0, le=10_000)
    port: int = 8004
    # Which customers' statements each role reads: `own`, `team` or `all` (the customer's owner
    # and team as billing sent them with the statement), e.g.
    # DOCUMENTS_VISIBILITY='{"sales": "own", "sales_manager": "team"}'; roles not listed see all.
    visibility: dict[str, Visibility] = Field(default_factory=dict)

    storage_dir: str = Field(
        default="./var/documents",
        description="Root directory of the stored PDFs (relative to the working directory)",
    )
    font_path: str = Field(
        default=f"{DEJAVU_DIR}/DejaVuSans.ttf",
        description="TrueType font embedded in every PDF (Debian/Ubuntu: fonts-dejavu-core)",
    )
    font_bold_path: str = f"{DEJAVU_DIR}/DejaVuSans-Bold.ttf"
    page_size: Literal["A4", "LETTER"] = "A4"
    render_processes: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        description="Worker processes rendering PDFs (default: the CPU count); 0 or 1: inline",
    )
    render_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description=(
            "How far the rendering processes lower their priority (nice) below the service's: "
            "on shared cores, event handling and requests go before PDFs; 0: the same priority"
        ),
    )

    # The letterhead printed on every document.
    company_name: str = Field(default="Example Company Ltd.", max_length=200)
    company_address: str = Field(
        default="1 Example Street\n12345 Example City\nCountry",
        max_length=1000,
        description="Multi-line: one address line per line",
    )
    company_email: str | None = Field(default="sales@example.com", max_length=200)
    company_phone: str | None = Field(default=None, max_length=100)
    company_website: str | None = Field(default=None, max_length=200)
    company_vat_id: str | None = Field(default=None, max_length=100)
    company_bank_details: str | None = Field(
        default=None,
        max_length=1000,
        description="Multi-line, printed under the payment terms of invoices (e.g. IBAN, BIC)",
    )

    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="413 above this")

    # E-mail over SMTP.
    smtp_host: str = Field(default="localhost", max_length=255)
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = Field(default=None, max_length=200)
    smtp_password: SecretStr | None = None
    smtp_starttls: bool | None = Field(
        default=None,
        description="true: require STARTTLS; false: never; unset: upgrade when offered",
    )
    smtp_use_tls: bool = Field(default=False, description="Implicit TLS (SMTPS, port 465)")
    smtp_from: str = Field(
        default="documents@example.com",
        max_length=200,
        pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$",
        description="The sender address of every e-mail",
    )
    smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    email_max_attempts: int = Field(default=5, ge=1, le=100)
    email_backoff_seconds: float = Field(
        default=30.0, ge=0, description="Wait after the first failed attempt; doubles after each"
    )
    email_max_backoff_seconds: float = Field(default=3600.0, ge=0)
    email_poll_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the sender looks for due e-mails"
    )

    file_sweep_interval_seconds: float = Field(
        default=6 * 3600.0,
        ge=0,
        description=(
            "How often a worker deletes the stored files no document points at any more "
            "(old renditions, files of failed or interrupted writes); 0: never"
        ),
    )
    file_sweep_grace_seconds: float = Field(
        default=24 * 3600.0,
        ge=3600,
        description="How old an unreferenced file must be before the sweep deletes it",
    )

    @model_validator(mode="after")
    def _one_tls_mode(self) -> DocumentsSettings:
        if self.smtp_use_tls and self.smtp_starttls:
            raise ValueError(
                "DOCUMENTS_SMTP_USE_TLS and DOCUMENTS_SMTP_STARTTLS exclude each other"
            )
        return self

    @property
    def company_address_lines(self) -> list[str]:
        return _lines(self.company_address)

    @property
    def company_bank_details_lines(self) -> list[str]:
        return _lines(self.company_bank_details)
