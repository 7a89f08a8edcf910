"""Use cases of customers: create one, find one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts import EventType, new_event
from contracts.events import CustomerChanged
from orders.domain.addresses import AddressBook, AddressKind, CustomerAddress
from orders.domain.content import Address
from orders.domain.customer import Customer
from orders.domain.tax_ids import normalised_tax_id
from orders.service_layer.customer_groups import require_group
from orders.service_layer.events import SOURCE, utcnow
from orders.service_layer.ownership import default_owner, visible
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
    group: str | None = None
    tax_id: str | None = None


async def create_customer(uow: UnitOfWork, new: NewCustomer) -> Customer:
    """A customer; the addresses given become its default billing and shipping addresses. Its
    group must exist; its tax id is checked for the billing address's country."""
    await require_group(uow, new.group)
    tax_id = None
    if new.tax_id is not None:
        country = new.billing_address.country if new.billing_address else None
        tax_id = normalised_tax_id(new.tax_id, country)
    now = utcnow()
    owner, team = default_owner()
    customer = Customer(
        id=str(uuid.uuid4()),
        name=new.name,
        email=new.email,
        created_at=now,
        billing_address=new.billing_address,
        shipping_address=new.shipping_address,
        owner=owner,
        team=team,
        group=new.group,
        tax_id=tax_id,
        updated_at=now,
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
    await announce_customer(uow, customer)
    return customer


async def announce_customer(uow: UnitOfWork, customer: Customer) -> None:
    """Record `suite.customer.changed.v1`: the customer's name, owner and team now (keyed and
    numbered per customer), for the services that keep a view of who owns a customer."""
    changed = CustomerChanged(
        customer_id=customer.id,
        name=customer.name,
        owner=customer.owner,
        team=customer.team,
        archived=customer.archived_at is not None,
    )
    event = new_event(EventType.CUSTOMER_CHANGED, changed, source=SOURCE, subject=customer.id)
    await uow.record(event, summary="", key=customer.id)


async def get_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    """The customer, whoever owns it (what orders and quotes name)."""
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


async def find_customer(uow: UnitOfWork, customer_id: str, *, for_update: bool = False) -> Customer:
    """The customer as the current viewer asks for it: one they may not see is unknown."""
    customer = visible(await uow.customers.get(customer_id, for_update=for_update))
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer
