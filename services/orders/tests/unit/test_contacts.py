"""A customer's contacts, and orders and quotes picking one (in-memory)."""

from __future__ import annotations

from typing import Any

import pytest
from orders_builders import a_customer, an_order

from orders.domain.errors import InvalidOrder
from orders.service_layer import contacts, orders
from orders.service_layer.contacts import ContactNotFound


async def test_contacts_are_kept_by_name_changed_and_removed(uow: Any) -> None:
    customer = await a_customer(uow)
    zoe = await contacts.add_contact(uow, customer.id, contacts.NewContact("Zoe", "z@x.com"))
    ana = await contacts.add_contact(
        uow, customer.id, contacts.NewContact("Ana Ruiz", position="Buyer", phone="+34 600")
    )
    assert [c.name for c in await contacts.list_contacts(uow, customer.id)] == ["Ana Ruiz", "Zoe"]
    assert zoe.label == "Zoe <z@x.com>"
    assert ana.label == "Ana Ruiz"
    changed = await contacts.change_contact(
        uow, customer.id, ana.id, {"email": "ana@x.com", "id": "ignored"}
    )
    assert (changed.id, changed.label) == (ana.id, "Ana Ruiz <ana@x.com>")
    await contacts.remove_contact(uow, customer.id, zoe.id)
    assert [c.id for c in await contacts.list_contacts(uow, customer.id)] == [ana.id]
    other = await a_customer(uow, email="other@example.com")
    with pytest.raises(ContactNotFound):  # not this customer's
        await contacts.remove_contact(uow, other.id, ana.id)


async def test_an_order_picks_one_of_its_customers_contacts(uow: Any) -> None:
    customer = await a_customer(uow)
    ana = await contacts.add_contact(uow, customer.id, contacts.NewContact("Ana", "ana@x.com"))
    order = await an_order(uow, customer=customer, contact_id=ana.id)
    assert order.contact == "Ana <ana@x.com>"
    await contacts.change_contact(uow, customer.id, ana.id, {"name": "Ana María"})
    assert (await orders.get_order(uow, order.id)).contact == "Ana <ana@x.com>"  # a copy

    other = await a_customer(uow, email="other@example.com")
    theirs = await contacts.add_contact(uow, other.id, contacts.NewContact("Olga"))
    with pytest.raises(InvalidOrder) as refused:
        await an_order(uow, customer=customer, contact_id=theirs.id)
    assert refused.value.field == "contact_id"
    with pytest.raises(InvalidOrder) as refused:
        await an_order(uow, customer=customer, contact="Ana", contact_id=ana.id)
    assert refused.value.field == "contact_id"

    bob = await contacts.add_contact(uow, customer.id, contacts.NewContact("Bob"))
    revised = await orders.revise_details(uow, order.id, {"contact_id": bob.id})
    assert revised.contact == "Bob"
    with pytest.raises(InvalidOrder):
        await orders.revise_details(uow, order.id, {"contact_id": theirs.id})
