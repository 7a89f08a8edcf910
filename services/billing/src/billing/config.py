"""Settings of the billing service (environment variables `BILLING_*`, Kafka from `KAFKA_*`)."""

from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import SettingsConfigDict

from billing.domain.dunning import DEFAULT_LEVELS, DunningLevel, check_levels
from billing.domain.invoicing_policy import InvoicingPolicy
from servicekit.settings import ServiceSettings


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
    port: int = 8003
    # How an order is invoiced unless it was given a policy of its own (PUT
    # /orders/{id}/invoicing-policy): on_completion, on_delivery or manual.
    invoicing_policy: InvoicingPolicy = InvoicingPolicy.ON_COMPLETION
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

    @model_validator(mode="after")
    def _levels_in_order(self) -> Self:
        check_levels(self.levels)
        return self

    @property
    def levels(self) -> list[DunningLevel]:
        return [setting.level_of() for setting in self.dunning_levels]
