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


@dataclass(frozen=True)
class Opportunity:
    """An opportunity as this service knows it: from the orders and quotes that named it."""

    id: str
    name: str
    customer_id: str | None = None
