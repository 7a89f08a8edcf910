"""A customer's billing and shipping addresses, with at most one default of each kind.

The default of a kind is what an order takes when it names no address (and what the customer's
single `billing_address`/`shipping_address` fields show). Orders copy an address: changing or
deleting it here never changes an order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from orders.domain.content import Address
from orders.domain.errors import InvalidOrder


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"


@dataclass(frozen=True)
class CustomerAddress:
    id: str
    customer_id: str
    kind: AddressKind
    address: Address
    created_at: datetime
    updated_at: datetime
    label: str | None = None
    is_default: bool = False


class AddressNotFound(LookupError):
    def __init__(self, address_id: str) -> None:
        self.address_id = address_id
        super().__init__(f"no address {address_id} for this customer")


class AddressBook:
    """All addresses of one customer; every change keeps one default per kind when possible."""

    def __init__(self, customer_id: str, addresses: list[CustomerAddress]) -> None:
        self.customer_id = customer_id
        self._addresses = {a.id: a for a in sorted(addresses, key=lambda a: (a.created_at, a.id))}
        self.removed: set[str] = set()

    @property
    def addresses(self) -> list[CustomerAddress]:
        return list(self._addresses.values())

    def get(self, address_id: str) -> CustomerAddress:
        found = self._addresses.get(address_id)
        if found is None:
            raise AddressNotFound(address_id)
        return found

    def default(self, kind: AddressKind) -> CustomerAddress | None:
        return next((a for a in self.of_kind(kind) if a.is_default), None)

    def of_kind(self, kind: AddressKind) -> list[CustomerAddress]:
        return [a for a in self._addresses.values() if a.kind is kind]

    def add(self, address: CustomerAddress) -> CustomerAddress:
        """Add an address; the first of its kind becomes the default whatever was asked."""
        if address.customer_id != self.customer_id:
            raise ValueError("the address belongs to another customer")
        if not self.of_kind(address.kind):
            address = replace(address, is_default=True)
        if address.is_default:
            self._clear_default(address.kind)
        self._addresses[address.id] = address
        return address

    def change(
        self, address_id: str, changes: Mapping[str, object], now: datetime
    ) -> CustomerAddress:
        """Change the label, the address fields, the kind or whether it is the default.

        `is_default: false` on the default hands the role to the oldest other address of its
        kind (the only address of a kind stays its default).
        """
        current = self.get(address_id)
        unknown = set(changes) - {"label", "address", "kind", "is_default"}
        if unknown:
            raise InvalidOrder(sorted(unknown)[0], "cannot be changed")
        updated = replace(current, **changes, updated_at=now)  # type: ignore[arg-type]
        if updated.kind is not current.kind and "is_default" not in changes:
            updated = replace(updated, is_default=False)  # it was a default of its old kind
        self._addresses[address_id] = updated  # same place: the order stays by creation
        if updated.is_default:
            self._clear_default(updated.kind, keep=address_id)
        self._ensure_default(current.kind, avoid=address_id)
        self._ensure_default(updated.kind)
        return self._addresses[address_id]

    def remove(self, address_id: str) -> CustomerAddress:
        """Delete an address; if it was the default, the oldest remaining one of its kind is."""
        removed = self.get(address_id)
        del self._addresses[address_id]
        self.removed.add(address_id)
        self._ensure_default(removed.kind)
        return removed

    def _clear_default(self, kind: AddressKind, keep: str | None = None) -> None:
        for other in self.of_kind(kind):
            if other.is_default and other.id != keep:
                self._addresses[other.id] = replace(other, is_default=False)

    def _ensure_default(self, kind: AddressKind, avoid: str | None = None) -> None:
        remaining = self.of_kind(kind)
        if remaining and not any(a.is_default for a in remaining):
            first = next((a for a in remaining if a.id != avoid), remaining[0])
            self._addresses[first.id] = replace(first, is_default=True)
