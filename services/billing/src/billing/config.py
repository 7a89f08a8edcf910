"""Settings of the billing service (environment variables `BILLING_*`, Kafka from `KAFKA_*`)."""

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from billing.domain.company import Company, checked_bic, checked_iban, checked_vat_id
from billing.domain.dunning import DEFAULT_LEVELS, DunningLevel, check_levels
from billing.domain.invoicing_policy import InvoicingPolicy
from servicekit.settings import ServiceSettings
from servicekit.visibility import Visibility


class DunningLevelSetting(BaseModel):
    level: int
    name: Annotated[str, Field(min_length=1, max_length=200)]
    days_past_due: int
    text: Annotated[str, Field(min_length=1, max_length=4000)]

    def level_of(self) -> DunningLevel:
        return DunningLevel(self.level, self.name, self.days_past_due, self.text)


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://billing:billing@127.0.0.1:55432/billing"
    # Off the confirm → reserved path: its events may wait 100 ms to gather, leaving the cores to
    # orders and inventory while an order is reserved (ADR 48).
    consumer_fetch_wait_ms: int = Field(default=100, ge=0, le=10_000)
    port: int = 8003
    # How an order is invoiced unless it was given a policy of its own (PUT
    # /orders/{id}/invoicing-policy): on_completion, on_delivery or manual.
    invoicing_policy: InvoicingPolicy = InvoicingPolicy.ON_COMPLETION
    # Which customers' receivables and statements each role reads: `own`, `team` or `all`, e.g.
    # BILLING_VISIBILITY='{"sales": "own", "sales_manager": "team"}' (owners as orders says,
    # ADR 18); a caller gets the widest of their roles; roles not listed (and admin) see all.
    visibility: dict[str, Visibility] = Field(default_factory=dict)
    # The recurring invoices job: how often a worker issues the periods due, and whether at all.
    recurring_enabled: bool = True
    recurring_interval_seconds: float = Field(default=900.0, gt=0)
    # The daily collection run (overdue invoices, dunning): how often a worker checks whether
    # today's run is still to do, and whether workers run it at all.
    collection_enabled: bool = True
    collection_interval_seconds: float = Field(default=900.0, gt=0)
    # JSON list: [{"level": 1, "name": "Payment reminder", "days_past_due": 7, "text": "..."}]
    dunning_levels: list[DunningLevelSetting] = Field(
        default_factory=lambda: [
            DunningLevelSetting(
                level=level.level,
                name=level.name,
                days_past_due=level.days_past_due,
                text=level.text,
            )
            for level in DEFAULT_LEVELS
        ]
    )

    # The seller on electronic invoices (all but the BIC and e-mail needed for them).
    company_legal_name: str | None = None
    company_vat_id: Annotated[str, AfterValidator(checked_vat_id)] | None = None
    company_address_line1: str | None = None
    company_postal_code: str | None = None
    company_city: str | None = None
    company_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    company_iban: Annotated[str, AfterValidator(checked_iban)] | None = None
    company_bic: Annotated[str, AfterValidator(checked_bic)] | None = None

    @property
    def company(self) -> Company | None:
        """The seller, or None while any required part is left out."""
        required = (
            self.company_legal_name,
            self.company_vat_id,
            self.company_address_line1,
            self.company_postal_code,
            self.company_city,
            self.company_country,
            self.company_iban,
        )
        if any(value is None for value in required):
            return None
        return Company(*required, bic=self.company_bic)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _levels_in_order(self) -> Self:
        check_levels(self.levels)
        return self

    @property
    def levels(self) -> list[DunningLevel]:
        return [setting.level_of() for setting in self.dunning_levels]
