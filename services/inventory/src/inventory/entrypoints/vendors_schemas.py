"""Bodies of the vendor routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from contracts.common import CountryCode, CurrencyCode
from inventory.domain.purchasing import SuppliedProduct, Vendor, VendorDetails
from inventory.entrypoints.common import Sku
from pricing import UnknownCurrency, validate_currency
from servicekit.api import RequestBody
from servicekit.pagination import Page

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


def iso_currency(code: str) -> str:
    """A validator's check: an ISO 4217 code, not just three capitals (XXQ is refused)."""
    try:
        return validate_currency(code)
    except UnknownCurrency as unknown:
        raise ValueError(str(unknown)) from None


class VendorAddress(RequestBody):
    line1: Text200
    line2: Annotated[str, Field(max_length=200)] | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    city: Text200
    region: Annotated[str, Field(max_length=200)] | None = None
    country: CountryCode


class SuppliedProductWrite(RequestBody):
    sku: Sku
    purchase_price: UnitPrice
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 0
    vendor_sku: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class VendorWrite(RequestBody):
    name: Text200
    currency: CurrencyCode
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] = 30
    email: Email | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None
    contact_name: Annotated[str, Field(max_length=200)] | None = None
    address: VendorAddress | None = None
    supplies: list[SuppliedProductWrite] = Field(default_factory=list, max_length=1000)

    _currency = field_validator("currency")(iso_currency)

    @field_validator("supplies")
    @classmethod
    def one_entry_per_sku(cls, supplies: list[SuppliedProductWrite]) -> list[SuppliedProductWrite]:
        skus = [item.sku for item in supplies]
        twice = sorted({sku for sku in skus if skus.count(sku) > 1})
        if twice:
            raise ValueError(f"each product once: {', '.join(twice)} appear more than once")
        return supplies

    def details(self) -> VendorDetails:
        return VendorDetails(
            name=self.name,
            currency=self.currency,
            payment_terms_days=self.payment_terms_days,
            email=self.email,
            phone=self.phone,
            contact_name=self.contact_name,
            address=self.address.model_dump() if self.address is not None else None,
            supplies=tuple(
                SuppliedProduct(
                    sku=item.sku,
                    purchase_price=item.purchase_price,
                    lead_time_days=item.lead_time_days,
                    vendor_sku=item.vendor_sku,
                )
                for item in self.supplies
            ),
        )


class SuppliedProductRead(BaseModel):
    sku: str
    purchase_price: Decimal
    lead_time_days: int
    vendor_sku: str | None


class VendorRead(BaseModel):
    id: str
    name: str
    currency: str
    payment_terms_days: int
    email: str | None
    phone: str | None
    contact_name: str | None
    address: dict[str, str | None] | None
    supplies: list[SuppliedProductRead]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, vendor: Vendor) -> VendorRead:
        return cls.model_validate(vendor, from_attributes=True)


class VendorPage(Page[VendorRead]):
    """A page of vendors, by name."""
