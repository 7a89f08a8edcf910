"""Use cases of price lists (a commercial decision, owned by orders): create, replace, delete,
read; and the prices they give a customer on a day, used to price order lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from orders.domain.price_lists import (
    InvalidPriceList,
    OverlappingPriceList,
    PriceBreak,
    PriceList,
)
from orders.service_layer.events import utcnow
from orders.service_layer.unit_of_work import UnitOfWork
from pricing import validate_currency


class PriceListNotFound(LookupError):
    def __init__(self, price_list_id: str) -> None:
        self.price_list_id = price_list_id
        super().__init__(f"no price list {price_list_id}")


@dataclass(frozen=True)
class NewPriceList:
    name: str
    currency: str
    entries: Sequence[PriceBreak]
    customer_id: str | None = None
    customer_group: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


async def _checked(uow: UnitOfWork, price_list: PriceList) -> PriceList:
    """Refuse a list whose customer is unknown or that overlaps another of the same customer
    (or group) and currency; the check holds under a lock on that pair until commit."""
    try:
        validate_currency(price_list.currency)
    except ValueError as exc:
        raise InvalidPriceList("currency", str(exc)) from None
    customer_id = price_list.customer_id
    if customer_id is not None and await uow.customers.get(customer_id) is None:
        raise InvalidPriceList("customer_id", "no customer has this id")
    group = price_list.customer_group
    if group is not None and await uow.customer_groups.get(group) is None:
        raise InvalidPriceList("customer_group", "no customer group has this code")
    await uow.price_lists.lock_target(price_list.target, price_list.currency)
    for other in await uow.price_lists.of_target(price_list.target, price_list.currency):
        if price_list.overlaps(other):
            raise OverlappingPriceList(other)
    return price_list


async def create_price_list(uow: UnitOfWork, new: NewPriceList) -> PriceList:
    now = utcnow()
    price_list = await _checked(
        uow,
        PriceList(
            id=str(uuid.uuid4()),
            name=new.name,
            currency=new.currency,
            customer_id=new.customer_id,
            customer_group=new.customer_group,
            valid_from=new.valid_from,
            valid_to=new.valid_to,
            entries=tuple(new.entries),
            created_at=now,
            updated_at=now,
        ),
    )
    await uow.price_lists.add(price_list)
    return price_list


async def get_price_list(
    uow: UnitOfWork, price_list_id: str, *, for_update: bool = False
) -> PriceList:
    found = await uow.price_lists.get(price_list_id, for_update=for_update)
    if found is None:
        raise PriceListNotFound(price_list_id)
    return found


async def replace_price_list(uow: UnitOfWork, price_list_id: str, new: NewPriceList) -> PriceList:
    """Replace everything of the list but its id and creation time."""
    current = await get_price_list(uow, price_list_id, for_update=True)
    price_list = await _checked(
        uow,
        PriceList(
            id=current.id,
            name=new.name,
            currency=new.currency,
            customer_id=new.customer_id,
            customer_group=new.customer_group,
            valid_from=new.valid_from,
            valid_to=new.valid_to,
            entries=tuple(new.entries),
            created_at=current.created_at,
            updated_at=utcnow(),
        ),
    )
    await uow.price_lists.replace(price_list)
    return price_list


async def delete_price_list(uow: UnitOfWork, price_list_id: str) -> None:
    await get_price_list(uow, price_list_id, for_update=True)
    await uow.price_lists.delete(price_list_id)


# --- prices -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    source: str  # price_list or list_price
    price_list: PriceList | None = None


@dataclass(frozen=True)
class Pricer:
    """What a customer pays in a currency on a day: its own list first, then its group's list,
    else the item's list price."""

    currency: str
    lists: Sequence[PriceList] = ()  # in precedence order

    def price(self, sku: str, quantity: Decimal, list_price: Decimal | None) -> Price | None:
        for price_list in self.lists:
            found = price_list.break_for(sku, quantity)
            price = found.price(self.currency, list_price) if found is not None else None
            if price is not None:
                return Price(price, "price_list", price_list)
        return Price(list_price, "list_price") if list_price is not None else None


async def pricer(
    uow: UnitOfWork, currency: str, *, customer_id: str | None, day: date | None
) -> Pricer:
    """The prices of `currency` for the customer on `day` (today if None)."""
    if customer_id is None:
        return Pricer(currency)
    customer = await uow.customers.get(customer_id)
    if customer is None:
        return Pricer(currency)
    lists = await uow.price_lists.valid_for(
        customer_id=customer.id,
        customer_group=customer.group,
        currency=currency,
        day=day or utcnow().date(),
    )
    ordered = sorted(lists, key=lambda p: p.customer_id is None)  # the customer's own first
    return Pricer(currency, tuple(ordered))
