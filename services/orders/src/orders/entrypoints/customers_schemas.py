"""Bodies of the customers API: customers and their addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
)

from contracts.common import (
    CountryCode,
    ShortText,
)
from orders.domain.addresses import AddressKind
from orders.entrypoints.shared_schemas import (
    Address,
    Email,
    Name,
    RequestBody,
    not_null,
)
from servicekit.pagination import Page

GroupCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
TaxId = Annotated[
    str,
    Field(
        min_length=2,
        max_length=50,
        description="Checked for the billing address's country, or a prefixed EU VAT number",
    ),
]


class CustomerCreate(RequestBody):
    name: Name
    email: Email
    billing_address: Address | None = None
    shipping_address: Address | None = None
    group: GroupCode | None = Field(default=None, description="The code of a customer group")
    tax_id: TaxId | None = None


class CustomerUpdate(RequestBody):
    """Any of these; `null` clears the group or the tax id (addresses: their own routes)."""

    name: Name | None = None
    email: Email | None = None
    group: GroupCode | None = None
    tax_id: TaxId | None = None

    _not_null = not_null("name", "email")


class CustomerRead(BaseModel):
    id: str
    name: str
    email: str
    billing_address: Address | None
    shipping_address: Address | None
    owner: str | None = Field(description="The responsible user (token subject)")
    team: str | None
    group: str | None = Field(description="The code of the customer's group")
    tax_id: str | None
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CustomerPage(Page[CustomerRead]):
    pass


class DuplicateWarningRead(BaseModel):
    field: str = Field(description="`tax_id` or `email`")
    message: str
    customer_ids: list[str] = Field(description="Those of the other customers you may see")


class CustomerWritten(CustomerRead):
    """A created or changed customer, with warnings about possible duplicates."""

    warnings: list[DuplicateWarningRead]


class CustomerGroupCreate(RequestBody):
    code: GroupCode
    name: Name
    description: Annotated[str, Field(max_length=2000)] | None = None


class CustomerGroupUpdate(RequestBody):
    name: Name | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None

    _not_null = not_null("name")


class CustomerGroupRead(BaseModel):
    code: str
    name: str
    description: str | None
    created_at: datetime


class CustomerGroupPage(Page[CustomerGroupRead]):
    pass


class CustomerAddressCreate(Address):
    kind: AddressKind
    label: ShortText | None = None
    is_default: bool = Field(
        default=False, description="The first address of a kind is its default anyway"
    )


class CustomerAddressUpdate(RequestBody):
    """Any field; `is_default: true` makes it the default of its kind."""

    kind: AddressKind | None = None
    label: ShortText | None = None
    is_default: bool | None = None
    name: ShortText | None = None
    line1: Name | None = None
    line2: ShortText | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    city: Name | None = None
    region: ShortText | None = None
    country: CountryCode | None = None

    _not_null = not_null("kind", "is_default", "line1", "postal_code", "city", "country")


class CustomerAddressRead(BaseModel):
    id: str
    customer_id: str
    kind: AddressKind
    label: str | None
    is_default: bool
    name: str | None
    line1: str
    line2: str | None
    postal_code: str
    city: str
    region: str | None
    country: str
    created_at: datetime
    updated_at: datetime


class CustomerAddressPage(Page[CustomerAddressRead]):
    pass
