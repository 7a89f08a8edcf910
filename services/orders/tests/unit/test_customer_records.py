"""Customers' later life (change, archive, delete, duplicates, tax ids) and customer groups,
against the in-memory unit of work."""

from __future__ import annotations

from typing import Any

import pytest
from orders_builders import a_customer, an_order

from contracts import EventType
from orders.domain.content import Address
from orders.domain.errors import Conflicting, InvalidOrder
from orders.domain.ownership import Viewer, Visibility
from orders.domain.tax_ids import normalised_tax_id
from orders.service_layer import customer_changes, customer_groups, reassignment
from orders.service_layer.customer_groups import GroupNotFound
from orders.service_layer.customers import CustomerNotFound, find_customer
from orders.service_layer.ownership import looking_as

BERLIN = Address("Unter den Linden 1", "10117", "Berlin", "DE")
MADRID = Address("Calle Mayor 1", "28013", "Madrid", "ES")


@pytest.mark.parametrize(
    ("given", "country", "expected"),
    [
        ("DE 136 695 976", None, "DE136695976"),  # a prefixed EU VAT number: any address
        ("de136695976", "ES", "DE136695976"),
        ("B12345674", "ES", "B12345674"),  # the billing country's own number
        ("12-3456789", "US", "123456789"),
        ("ANYTHING-1", "AQ", "ANYTHING-1"),  # no check known for the country: kept as given
    ],
)
def test_tax_ids_are_checked_for_their_country(given: str, country: str, expected: str) -> None:
    assert normalised_tax_id(given, country) == expected


@pytest.mark.parametrize(
    ("given", "country"),
    [("DE136695977", None), ("123", "FR"), ("B12345670", "ES"), ("12345", None)],
)
def test_invalid_tax_ids_are_refused_naming_the_field(given: str, country: str | None) -> None:
    with pytest.raises(InvalidOrder) as refused:
        normalised_tax_id(given, country)
    assert refused.value.field == "tax_id"


async def test_groups_are_unique_by_code_and_kept_while_in_use(uow: Any) -> None:
    wholesale = await customer_groups.create_group(uow, "wholesale", "Wholesale", None)
    with pytest.raises(Conflicting):
        await customer_groups.create_group(uow, "wholesale", "Again", None)
    renamed = await customer_groups.change_group(
        uow, "wholesale", "Trade", "Resellers", clear=False
    )
    assert (renamed.code, renamed.name, renamed.description) == ("wholesale", "Trade", "Resellers")
    assert [g.code for g in await customer_groups.list_groups(uow)] == [wholesale.code]
    customer = await a_customer(uow, group="wholesale")
    assert customer.group == "wholesale"
    with pytest.raises(Conflicting):
        await customer_groups.delete_group(uow, "wholesale")
    await customer_changes.change_customer(uow, customer.id, {"group": None})
    await customer_groups.delete_group(uow, "wholesale")
    with pytest.raises(GroupNotFound):
        await customer_groups.get_group(uow, "wholesale")
    with pytest.raises(InvalidOrder) as refused:
        await a_customer(uow, group="retail")
    assert refused.value.field == "group"


async def test_a_change_is_on_the_customers_timeline_field_by_field(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=BERLIN)
    uow.actor = "alice"
    changed = await customer_changes.change_customer(
        uow, customer.id, {"name": "Acme GmbH", "tax_id": "DE 136 695 976", "owner": "eve"}
    )
    assert (changed.name, changed.tax_id) == ("Acme GmbH", "DE136695976")
    assert changed.owner is None  # the owner changes by reassignment only
    [entry] = await uow.timeline(customer_id=customer.id)
    assert entry.type == "orders.customer.changed"
    assert entry.actor == "alice"
    assert entry.data["changes"]["name"] == {"from": "Acme", "to": "Acme GmbH"}
    assert entry.data["changes"]["tax_id"] == {"from": None, "to": "DE136695976"}


async def test_a_tax_id_is_checked_against_the_billing_country(uow: Any) -> None:
    customer = await a_customer(uow, billing_address=MADRID)
    with pytest.raises(InvalidOrder):
        await customer_changes.change_customer(uow, customer.id, {"tax_id": "B12345670"})
    changed = await customer_changes.change_customer(uow, customer.id, {"tax_id": "b12345674"})
    assert changed.tax_id == "B12345674"


async def test_the_same_tax_id_or_email_is_a_warning_naming_only_visible_customers(
    uow: Any,
) -> None:
    with looking_as(Viewer("alice", None, Visibility.OWN)):
        mine = await a_customer(uow, email="a@example.com", tax_id="DE136695976")
    with looking_as(Viewer("bob", None, Visibility.OWN)):
        theirs = await a_customer(uow, email="A@example.com")
        new = await a_customer(uow, email="other@example.com", tax_id="DE136695976")
        warnings = await customer_changes.duplicates_of(uow, new)
        assert [(w.field, w.customer_ids) for w in warnings] == [("tax_id", [])]
        assert warnings[0].message == "1 other customer(s) have this tax id"
    with looking_as(Viewer("alice", None, Visibility.OWN)):
        warnings = await customer_changes.duplicates_of(uow, mine)
    assert [(w.field, w.customer_ids) for w in warnings] == [("tax_id", []), ("email", [])]
    warnings = await customer_changes.duplicates_of(uow, mine)  # a viewer who sees all
    assert [(w.field, w.customer_ids) for w in warnings] == [
        ("tax_id", [new.id]),
        ("email", [theirs.id]),
    ]


async def test_archived_customers_take_no_orders_and_no_changes(uow: Any) -> None:
    customer = await a_customer(uow)
    archived = await customer_changes.archive_customer(uow, customer.id, archived=True)
    assert archived.archived_at is not None
    with pytest.raises(Conflicting):
        await customer_changes.archive_customer(uow, customer.id, archived=True)
    with pytest.raises(Conflicting):
        await customer_changes.change_customer(uow, customer.id, {"name": "X"})
    with pytest.raises(InvalidOrder) as refused:
        await an_order(uow, customer=archived)
    assert refused.value.field == "customer_id"
    restored = await customer_changes.archive_customer(uow, customer.id, archived=False)
    assert restored.archived_at is None
    await an_order(uow, customer=restored)
    types = [e.type for e in await uow.timeline(customer_id=customer.id)]
    assert types == ["orders.customer.archived", "orders.customer.restored"]


async def test_a_customer_with_orders_is_not_deleted(uow: Any) -> None:
    customer = await a_customer(uow)
    await an_order(uow, customer=customer)
    with pytest.raises(Conflicting):
        await customer_changes.delete_customer(uow, customer.id)
    unused = await a_customer(uow, email="new@example.com")
    await customer_changes.delete_customer(uow, unused.id)
    with pytest.raises(CustomerNotFound):
        await find_customer(uow, unused.id)


async def test_who_owns_a_customer_is_announced_on_every_change_of_it(uow: Any) -> None:
    with looking_as(Viewer(subject="alice", team="north", visibility=Visibility.OWN)):
        customer = await a_customer(uow)
    await customer_changes.change_customer(uow, customer.id, {"name": "Renamed Ltd"})
    await customer_changes.change_customer(uow, customer.id, {"group": None})  # not announced
    await reassignment.reassign_customers(
        uow, [customer.id], reassignment.Reassignment(owner="bob", team="south", change_team=True)
    )
    await customer_changes.archive_customer(uow, customer.id, archived=True)
    facts = [
        (e.type, e.subject, e.sequence, e.data.name, e.data.owner, e.data.team, e.data.archived)
        for e in uow.customer_outbox
    ]
    changed, cid = EventType.CUSTOMER_CHANGED, customer.id
    assert facts == [
        (changed, cid, 1, customer.name, "alice", "north", False),
        (changed, cid, 2, "Renamed Ltd", "alice", "north", False),
        (changed, cid, 3, "Renamed Ltd", "bob", "south", False),
        (changed, cid, 4, "Renamed Ltd", "bob", "south", True),
    ]
