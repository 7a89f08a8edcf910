"""Owners and visibility: who sees what, defaults on creation, reassignment (in-memory)."""

from __future__ import annotations

from typing import Any

import pytest
from orders_builders import a_customer, an_order, lines

from orders.domain.ownership import EVERYONE, Viewer, Visibility, visibility_of
from orders.service_layer import orders, quotes, reassignment
from orders.service_layer.customers import CustomerNotFound, find_customer
from orders.service_layer.orders import OrderNotFound
from orders.service_layer.ownership import looking_as
from orders.service_layer.ports import CustomerFilters, OrderFilters, QuoteFilters
from orders.service_layer.quotes import QuoteNotFound

ALICE = Viewer("alice", "north", Visibility.OWN)
BOB = Viewer("bob", "north", Visibility.OWN)
CAROL = Viewer("carol", "south", Visibility.OWN)
NORTH_MANAGER = Viewer("nina", "north", Visibility.TEAM)

PER_ROLE = {"sales": Visibility.OWN, "sales_manager": Visibility.TEAM}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({"sales"}, Visibility.OWN),
        ({"sales", "sales_manager"}, Visibility.TEAM),
        ({"sales", "admin"}, Visibility.ALL),
        ({"viewer"}, Visibility.ALL),  # not configured: all
        (set(), Visibility.OWN),
    ],
)
def test_a_caller_gets_the_widest_visibility_of_their_roles(
    roles: set[str], expected: Visibility
) -> None:
    assert visibility_of(roles, PER_ROLE) is expected


def test_who_sees_a_record() -> None:
    assert ALICE.sees("alice", "north")
    assert not ALICE.sees("bob", "north")
    assert NORTH_MANAGER.sees("bob", "north")
    assert not NORTH_MANAGER.sees("carol", "south")
    assert not NORTH_MANAGER.sees(None, None)
    assert EVERYONE.sees(None, None)
    assert ALICE.resolve_owner("me") == "alice"
    assert ALICE.resolve_owner("bob") == "bob"


async def test_records_belong_to_whoever_creates_them(uow: Any) -> None:
    with looking_as(ALICE):
        customer = await a_customer(uow)
        order = await an_order(uow, customer=customer)
        quote = await quotes.create_quote(
            uow, quotes.NewQuote(customer_id=customer.id, currency="EUR", lines=lines("service"))
        )
    assert (customer.owner, customer.team) == ("alice", "north")
    assert (order.owner, order.team) == ("alice", "north")
    assert (quote.owner, quote.team) == ("alice", "north")


async def test_an_order_nobody_creates_goes_to_the_customers_owner(uow: Any) -> None:
    with looking_as(CAROL):
        customer = await a_customer(uow)
    order = await an_order(uow, customer=customer)  # e.g. submitted by another system
    assert (order.owner, order.team) == ("carol", "south")


async def test_records_of_others_are_unknown_to_an_own_viewer(uow: Any) -> None:
    with looking_as(ALICE):
        customer = await a_customer(uow)
        order = await an_order(uow, customer=customer)
        quote = await quotes.create_quote(
            uow, quotes.NewQuote(customer_id=customer.id, currency="EUR", lines=lines("service"))
        )
    with looking_as(BOB):
        with pytest.raises(OrderNotFound):
            await orders.get_order(uow, order.id)
        with pytest.raises(OrderNotFound):  # changes find nothing either
            await orders.confirm_order(uow, order.id)
        with pytest.raises(QuoteNotFound):
            await quotes.get_quote(uow, quote.id)
        with pytest.raises(CustomerNotFound):
            await find_customer(uow, customer.id)
    with looking_as(NORTH_MANAGER):
        assert (await orders.get_order(uow, order.id)).id == order.id
    with looking_as(CAROL), pytest.raises(OrderNotFound):
        await orders.get_order(uow, order.id)


async def test_lists_hold_only_what_the_viewer_sees(uow: Any) -> None:
    made = {}
    for viewer in (ALICE, BOB, CAROL):
        with looking_as(viewer):
            made[viewer.subject] = await an_order(uow)

    async def numbers(**filters: Any) -> set[str]:
        found = await uow.orders.search(OrderFilters(**filters), limit=50, after=None)
        return {o.owner for o in found}

    assert await numbers(viewer=ALICE) == {"alice"}
    assert await numbers(viewer=NORTH_MANAGER) == {"alice", "bob"}
    assert await numbers(viewer=EVERYONE) == {"alice", "bob", "carol"}
    assert await numbers(viewer=EVERYONE, team="south") == {"carol"}
    assert await numbers(viewer=NORTH_MANAGER, owner="carol") == set()
    customers_seen = await uow.customers.search(CustomerFilters(viewer=BOB), limit=50, after=None)
    assert {c.owner for c in customers_seen} == {"bob"}
    quotes_seen = await uow.quotes.search(QuoteFilters(viewer=BOB), limit=50, before=None)
    assert quotes_seen == []


async def test_reassigning_records_who_did_it_on_the_timeline(uow: Any) -> None:
    with looking_as(ALICE):
        first = await an_order(uow)
        second = await an_order(uow)
    uow.actor = "nina"
    with looking_as(NORTH_MANAGER):
        changed = await reassignment.reassign_orders(
            uow, [first.id, second.id, first.id], reassignment.Reassignment(owner="bob")
        )
    assert [o.id for o in changed] == [first.id, second.id]
    stored = await orders.get_order(uow, first.id)
    assert (stored.owner, stored.team) == ("bob", "north")  # the team is kept
    [entry] = [e for e in await uow.timeline(first.id) if e.type == "orders.order.reassigned"]
    assert entry.actor == "nina"
    assert entry.data == {
        "order_id": first.id,
        "from_owner": "alice",
        "to_owner": "bob",
        "from_team": "north",
        "to_team": "north",
    }
    assert entry.summary == "Reassigned from alice to bob"


async def test_a_bulk_reassignment_naming_an_unseen_record_fails(uow: Any) -> None:
    with looking_as(ALICE):
        mine = await an_order(uow)
    with looking_as(CAROL):
        theirs = await an_order(uow)
    with looking_as(ALICE), pytest.raises(OrderNotFound):
        await reassignment.reassign_orders(
            uow, [mine.id, theirs.id], reassignment.Reassignment(owner="bob")
        )


async def test_reassigning_a_customer_can_move_it_to_another_team(uow: Any) -> None:
    with looking_as(ALICE):
        customer = await a_customer(uow)
    moved = reassignment.Reassignment(owner="carol", team="south", change_team=True)
    [changed] = await reassignment.reassign_customers(uow, [customer.id], moved)
    assert (changed.owner, changed.team) == ("carol", "south")
    [entry] = await uow.timeline(customer_id=customer.id)
    assert entry.summary == "Reassigned from alice to carol (team north → south)"
