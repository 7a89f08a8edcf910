"""Value types shared by several event payloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pricing import validate_currency

# Up to 4 decimals: the largest ISO 4217 minor unit (JPY has 0, EUR 2, BHD 3, CLF 4). Amounts
# are rounded to their currency's minor unit by `pricing`.
Money = Annotated[Decimal, Field(max_digits=20, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
# A code ISO 4217 knows (`pricing.validate_currency`): XXQ is refused wherever money enters.
CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code"),
    AfterValidator(validate_currency),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=4000)]


class Payload(BaseModel):
    """Base of every payload: unknown fields from a newer producer are ignored, never fatal."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ItemKind(StrEnum):
    PRODUCT = "product"  # stocked, shipped from a warehouse
    SERVICE = "service"  # not stocked


class Address(Payload):
    name: ShortText | None = None
    line1: ShortText
    line2: ShortText | None = None
    postal_code: Annotated[str, Field(max_length=20)]
    city: ShortText
    region: ShortText | None = None
    country: CountryCode


class CustomerRef(Payload):
    id: str
    name: ShortText
    email: ShortText | None = None


class PaymentTerms(Payload):
    """Days until an invoice is due, with the wording printed on documents."""

    days: Annotated[int, Field(ge=0, le=365)] = 30
    text: ShortText | None = None


class OrderLine(Payload):
    line_no: Annotated[int, Field(ge=1)]
    sku: Sku
    kind: ItemKind
    description: LongText
    quantity: Quantity
    unit_price: Money
    discount_percent: Percent = Decimal("0")
    tax_rate: Percent
    net_amount: Money
    tax_amount: Money
    gross_amount: Money
    # added later (optional: absent from older producers; absent: the order's dates)
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants this line"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="When this line is promised"
    )


class TaxLine(Payload):
    rate: Percent
    base: Money
    amount: Money


class Totals(Payload):
    net: Money
    tax: Money
    gross: Money
    taxes: list[TaxLine] = Field(default_factory=list)


class OpportunityRef(Payload):
    """A CRM opportunity the order belongs to (an external reference)."""

    id: ShortText
    name: ShortText


class RecurrenceFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class RecurringBilling(Payload):
    """Bill the order again every period from `start` until `end` (open-ended without it)."""

    frequency: RecurrenceFrequency
    start: date
    end: date | None = None


class OrderSnapshot(Payload):
    """Everything a downstream service needs to know about an order at one moment."""

    order_id: str
    number: str
    customer: CustomerRef
    contact: ShortText | None = None
    order_date: date
    currency: CurrencyCode
    customer_reference: ShortText | None = None
    description: LongText | None = None
    opening_text: LongText | None = None
    closing_text: LongText | None = None
    payment_terms: PaymentTerms
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: list[OrderLine]
    totals: Totals
    # added in 1.1 (optional: absent from older producers)
    stage: ShortText | None = None
    opportunity: OpportunityRef | None = None
    template_id: ShortText | None = Field(default=None, description="Document template to use")
    recurring: RecurringBilling | None = None
    warehouse: Annotated[str | None, Field(max_length=32)] = Field(
        default=None, description="Reserve and ship from this warehouse only (none: by the rule)"
    )
    split_allowed: bool | None = Field(
        default=None,
        description="Its SKUs may be reserved in different warehouses when no one covers all",
    )
    requested_delivery_date: date | None = Field(
        default=None, description="When the customer wants the goods"
    )
    promised_delivery_date: date | None = Field(
        default=None, description="When delivery is promised (a line may have its own)"
    )


class StockLine(Payload):
    sku: Sku
    quantity: Quantity
