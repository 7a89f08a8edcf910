"""Settings of the documents service (environment variables `DOCUMENTS_*`, Kafka from `KAFKA_*`)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"


def _lines(value: str | None) -> list[str]:
    """Split a multi-line setting on newlines (real ones, or a literal `\\n` in an env file)."""
    if not value:
        return []
    return [line.strip() for line in value.replace("\\n", "\n").splitlines() if line.strip()]


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://documents:documents@127.0.0.1:55432/documents"
    port: int = 8004

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

    @property
    def company_address_lines(self) -> list[str]:
        return _lines(self.company_address)

    @property
    def company_bank_details_lines(self) -> list[str]:
        return _lines(self.company_bank_details)
