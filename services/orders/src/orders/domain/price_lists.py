"""Price lists: what a customer (or a group of customers) pays for items, in one currency,
during a validity period, with quantity breaks; each break a fixed unit price or a discount off
the list price. Pure rules; a customer's own list wins over its group's, either over the list
price (`service_layer.catalogue`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from orders.domain.errors import InvalidOrder
from pricing import HUNDRED, in_currency, round_money

MAX_ENTRIES = 1000


class InvalidPriceList(InvalidOrder):
    """A price list breaks a rule; `field` names the offending input."""


class OverlappingPriceList(Exception):
    """Another list of the same customer (or group) and currency is valid on some same day."""

    def __init__(self, other: PriceList) -> None:
        self.other_id = other.id
        super().__init__(
            f"price list {other.name!r} ({other.id}) of the same "
            f"{'customer' if other.customer_id else 'customer group'} and currency "
            f"{other.currency} is valid {other.validity()}: validity periods may not overlap"
        )


@dataclass(frozen=True)
class PriceBreak:
    """From `min_quantity` on (the largest break not above the line's quantity applies): a fixed
    `unit_price`, or `discount_percent` off the item's list price."""

    sku: str
    min_quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None

    def price(self, currency: str, list_price: Decimal | None) -> Decimal | None:
        if self.unit_price is not None:
            return in_currency(self.unit_price, currency)
        if list_price is None or self.discount_percent is None:
            return None  # a discount off a list price the item does not have
        return round_money(list_price * (HUNDRED - self.discount_percent) / HUNDRED, currency)


@dataclass(frozen=True)
class PriceList:
    id: str
    name: str
    currency: str
    customer_id: str | None
    customer_group: str | None
    valid_from: date | None
    valid_to: date | None
    entries: tuple[PriceBreak, ...]
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        check_price_list(self)

    @property
    def target(self) -> tuple[str, str]:
        """Whom the list prices for: ("customer", id) or ("group", code)."""
        if self.customer_id is not None:
            return ("customer", self.customer_id)
        return ("group", self.customer_group or "")

    def validity(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "always"
        end = self.valid_to.isoformat() if self.valid_to else "open-ended"
        return f"from {start} to {end}"

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def overlaps(self, other: PriceList) -> bool:
        """Same customer (or group), same currency, and some day valid in both."""
        if other.id == self.id or (other.target, other.currency) != (self.target, self.currency):
            return False
        starts_before_other_ends = (
            self.valid_from is None or other.valid_to is None or self.valid_from <= other.valid_to
        )
        other_starts_before_end = (
            other.valid_from is None or self.valid_to is None or other.valid_from <= self.valid_to
        )
        return starts_before_other_ends and other_starts_before_end

    def break_for(self, sku: str, quantity: Decimal) -> PriceBreak | None:
        """The break of `sku` with the largest minimum quantity not above `quantity`."""
        fitting = [e for e in self.entries if e.sku == sku and e.min_quantity <= quantity]
        return max(fitting, key=lambda e: e.min_quantity, default=None)


def check_price_list(price_list: PriceList) -> None:
    if (price_list.customer_id is None) == (price_list.customer_group is None):
        raise InvalidPriceList("customer_id", "give either customer_id or customer_group")
    if (
        price_list.valid_from is not None
        and price_list.valid_to is not None
        and price_list.valid_to < price_list.valid_from
    ):
        raise InvalidPriceList("valid_to", "must not be before valid_from")
    check_entries(price_list.entries)


def check_entries(entries: Sequence[PriceBreak]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise InvalidPriceList("entries", f"a price list has at most {MAX_ENTRIES} entries")
    seen: set[tuple[str, Decimal]] = set()
    for index, entry in enumerate(entries):
        where = f"entries.{index}"
        if (entry.unit_price is None) == (entry.discount_percent is None):
            raise InvalidPriceList(where, "give either unit_price or discount_percent")
        if entry.min_quantity < 0:
            raise InvalidPriceList(f"{where}.min_quantity", "must not be negative")
        if entry.unit_price is not None and entry.unit_price < 0:
            raise InvalidPriceList(f"{where}.unit_price", "must not be negative")
        if entry.discount_percent is not None and not 0 <= entry.discount_percent <= 100:
            raise InvalidPriceList(f"{where}.discount_percent", "must be between 0 and 100")
        key = (entry.sku, entry.min_quantity)
        if key in seen:
            raise InvalidPriceList(
                f"{where}.min_quantity", f"{entry.sku} has a break at {entry.min_quantity} twice"
            )
        seen.add(key)
