"""Use cases of a customer's addresses; the defaults are mirrored on the customer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace

from orders.domain.addresses import AddressBook, AddressKind, CustomerAddress
from orders.domain.content import Address
from orders.domain.customer import Customer
from orders.service_layer.customers import CustomerNotFound
from orders.service_layer.events import utcnow
from orders.service_layer.ownership import visible
from orders.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class NewAddress:
    kind: AddressKind
    address: Address
    label: str | None = None
    is_default: bool = False


async def _book(uow: UnitOfWork, customer_id: str) -> tuple[Customer, AddressBook]:
    """The customer (locked: its address changes queue up) and its addresses."""
    customer = visible(await uow.customers.get(customer_id, for_update=True))
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer, AddressBook(customer.id, await uow.addresses.of_customer(customer.id))


async def _store(uow: UnitOfWork, customer: Customer, book: AddressBook) -> None:
    await uow.addresses.save_all(customer.id, book.addresses, book.removed)
    billing = book.default(AddressKind.BILLING)
    shipping = book.default(AddressKind.SHIPPING)
    customer.billing_address = billing.address if billing else None
    customer.shipping_address = shipping.address if shipping else None
    await uow.customers.save(customer)


async def list_addresses(uow: UnitOfWork, customer_id: str) -> list[CustomerAddress]:
    customer = visible(await uow.customers.get(customer_id))
    if customer is None:
        raise CustomerNotFound(customer_id)
    return await uow.addresses.of_customer(customer.id)


async def add_address(uow: UnitOfWork, customer_id: str, new: NewAddress) -> CustomerAddress:
    """Add an address; the first of its kind (or one marked default) is the default."""
    customer, book = await _book(uow, customer_id)
    now = utcnow()
    added = book.add(
        CustomerAddress(
            id=str(uuid.uuid4()),
            customer_id=customer.id,
            kind=new.kind,
            address=new.address,
            label=new.label,
            is_default=new.is_default,
            created_at=now,
            updated_at=now,
        )
    )
    await _store(uow, customer, book)
    return added


async def change_address(
    uow: UnitOfWork,
    customer_id: str,
    address_id: str,
    changes: Mapping[str, object],
    address_fields: Mapping[str, object] | None = None,
) -> CustomerAddress:
    """Change an address (`address_fields`: some of its lines); orders keep their copy."""
    customer, book = await _book(uow, customer_id)
    changes = dict(changes)
    if address_fields:
        current = book.get(address_id).address
        changes["address"] = replace(current, **address_fields)  # type: ignore[arg-type]
    changed = book.change(address_id, changes, utcnow())
    await _store(uow, customer, book)
    return changed


async def remove_address(uow: UnitOfWork, customer_id: str, address_id: str) -> None:
    customer, book = await _book(uow, customer_id)
    book.remove(address_id)
    await _store(uow, customer, book)
