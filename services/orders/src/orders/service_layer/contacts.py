"""Use cases of a customer's contacts, and picking one for an order or a quote."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orders.domain.contacts import Contact
from orders.domain.errors import InvalidOrder
from orders.service_layer.customers import find_customer
from orders.service_layer.events import utcnow
from orders.service_layer.unit_of_work import UnitOfWork

CHANGEABLE = frozenset({"name", "email", "phone", "position"})


class ContactNotFound(LookupError):
    def __init__(self, contact_id: str) -> None:
        self.contact_id = contact_id
        super().__init__(f"no contact {contact_id}")


@dataclass(frozen=True)
class NewContact:
    name: str
    email: str | None = None
    phone: str | None = None
    position: str | None = None


async def add_contact(uow: UnitOfWork, customer_id: str, new: NewContact) -> Contact:
    customer = await find_customer(uow, customer_id, for_update=True)
    now = utcnow()
    contact = Contact(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        created_at=now,
        updated_at=now,
        name=new.name,
        email=new.email,
        phone=new.phone,
        position=new.position,
    )
    await uow.contacts.save(contact)
    return contact


async def list_contacts(uow: UnitOfWork, customer_id: str) -> list[Contact]:
    customer = await find_customer(uow, customer_id)
    return await uow.contacts.of_customer(customer.id)


async def _contact_of(uow: UnitOfWork, customer_id: str, contact_id: str) -> Contact:
    customer = await find_customer(uow, customer_id, for_update=True)
    contact = await uow.contacts.get(contact_id)
    if contact is None or contact.customer_id != customer.id:
        raise ContactNotFound(contact_id)
    return contact


async def change_contact(
    uow: UnitOfWork, customer_id: str, contact_id: str, changes: Mapping[str, Any]
) -> Contact:
    """Change the contact; orders and quotes keep the copy they took."""
    contact = await _contact_of(uow, customer_id, contact_id)
    for name, value in changes.items():
        if name in CHANGEABLE:
            setattr(contact, name, value)
    contact.updated_at = utcnow()
    await uow.contacts.save(contact)
    return contact


async def remove_contact(uow: UnitOfWork, customer_id: str, contact_id: str) -> None:
    contact = await _contact_of(uow, customer_id, contact_id)
    await uow.contacts.delete(contact.id)


async def pick_contact(
    uow: UnitOfWork, customer_id: str | None, inline: str | None, contact_id: str | None
) -> str | None:
    """The contact given as text, or the label of the customer's contact `contact_id`."""
    if contact_id is None:
        return inline
    if inline is not None:
        raise InvalidOrder("contact_id", "give either contact or contact_id, not both")
    if customer_id is None:
        raise InvalidOrder("contact_id", "choose the customer first")
    found = await uow.contacts.get(contact_id)
    if found is None or found.customer_id != customer_id:
        raise InvalidOrder("contact_id", "no contact of this customer has this id")
    return found.label
