"""Use cases of customers: create one, find one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from orders.domain.addresses import AddressBook, AddressKind, CustomerAddress
from orders.domain.content import Address
from orders.domain.customer import Customer
from orders.service_layer.events import utcnow
from orders.service_layer.unit_of_work import UnitOfWork


class CustomerNotFound(LookupError):
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        super().__init__(f"no customer {customer_id}")


@dataclass(frozen=True)
class NewCustomer:
    name: str
    email: str
    billing_address: Address | None = None
    shipping_address: Address | None = None


async def create_customer(uow: UnitOfWork, new: NewCustomer) -> Customer:
    """A customer; the addresses given become its default billing and shipping addresses."""
    now = utcnow()
    customer = Customer(
        id=str(uuid.uuid4()),
        name=new.name,
        email=new.email,
        created_at=now,
        billing_address=new.billing_address,
        shipping_address=new.shipping_address,
    )
    await uow.customers.add(customer)
    book = AddressBook(customer.id, [])
    for kind, address in (
        (AddressKind.BILLING, new.billing_address),
        (AddressKind.SHIPPING, new.shipping_address),
    ):
        if address is not None:
            book.add(
                CustomerAddress(
                    id=str(uuid.uuid4()),
                    customer_id=customer.id,
                    kind=kind,
                    address=address,
                    created_at=now,
                    updated_at=now,
                    is_default=True,
                )
            )
    if book.addresses:
        await uow.addresses.save_all(customer.id, book.addresses, set())
    return customer


async def get_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer
