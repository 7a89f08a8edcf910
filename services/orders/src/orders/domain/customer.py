"""Customers, and the CRM opportunities this service knows from the orders naming them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orders.domain.content import (
    Address,
)


@dataclass
class Customer:
    id: str
    name: str
    email: str
    created_at: datetime
    billing_address: Address | None = None  # the default billing address (see AddressBook)
    shipping_address: Address | None = None  # the default shipping address
    owner: str | None = None  # the responsible user (token subject)
    team: str | None = None
    group: str | None = None  # the code of its customer group (price lists key on it)
    tax_id: str | None = None  # compact form, validated for the billing address's country
    archived_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CustomerGroup:
    """A group of customers (e.g. wholesale, retail); price lists are keyed on its code."""

    code: str
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True)
class Opportunity:
    """An opportunity as this service knows it: from the orders and quotes that named it."""

    id: str
    name: str
    customer_id: str | None = None
