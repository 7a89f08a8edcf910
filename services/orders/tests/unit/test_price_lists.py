"""Price lists: their rules, overlap refusal, and how they price order lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import a_customer

from contracts import EventType, new_event
from contracts.events import ProductChanged
from orders.domain.content import LineInput, LineKind
from orders.domain.customer import CustomerGroup
from orders.domain.price_lists import (
    InvalidPriceList,
    OverlappingPriceList,
    PriceBreak,
    PriceList,
)
from orders.service_layer import catalogue, orders, price_lists
from orders.service_layer.price_lists import NewPriceList

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def a_list(**fields: Any) -> PriceList:
    given: dict[str, Any] = {
        "id": "pl-1",
        "name": "Acme 2026",
        "currency": "EUR",
        "customer_id": "c-1",
        "customer_group": None,
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "entries": (),
        "created_at": NOW,
        "updated_at": NOW,
    } | fields
    return PriceList(**given)


BREAKS = (
    PriceBreak("BOLT", D("0"), unit_price=D("0.30")),
    PriceBreak("BOLT", D("100"), unit_price=D("0.25")),
    PriceBreak("BOLT", D("1000"), discount_percent=D("40")),
)


def test_the_largest_break_not_above_the_quantity_applies() -> None:
    price_list = a_list(entries=BREAKS)
    prices = price_lists.Pricer("EUR", (price_list,))
    assert prices.price("BOLT", D("99"), D("0.35")).unit_price == D("0.30")
    assert prices.price("BOLT", D("100"), D("0.35")).unit_price == D("0.25")
    big = prices.price("BOLT", D("5000"), D("0.35"))
    assert (big.unit_price, big.source) == (D("0.21"), "price_list")  # 0.35 less 40 %
    listed = prices.price("NUT", D("1"), D("0.10"))
    assert (listed.unit_price, listed.source) == (D("0.10"), "list_price")
    assert prices.price("NUT", D("1"), None) is None


def test_a_discount_without_a_list_price_falls_through() -> None:
    discounted = a_list(entries=(PriceBreak("BOLT", D("0"), discount_percent=D("10")),))
    assert price_lists.Pricer("EUR", (discounted,)).price("BOLT", D("1"), None) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customer_id": None}, "customer_id"),
        ({"customer_group": "WHOLESALE"}, "customer_id"),
        ({"valid_to": date(2025, 12, 31)}, "valid_to"),
        ({"entries": (PriceBreak("B", D("0")),)}, "entries.0"),
        ({"entries": (PriceBreak("B", D("0"), D("1"), D("5")),)}, "entries.0"),
        (
            {"entries": (PriceBreak("B", D("0"), discount_percent=D("101")),)},
            "entries.0.discount_percent",
        ),
        (
            {"entries": (PriceBreak("B", D("1"), D("1")), PriceBreak("B", D("1"), D("2")))},
            "entries.1.min_quantity",
        ),
    ],
)
def test_a_bad_list_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPriceList) as raised:
        a_list(**fields)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (date(2026, 12, 31), None, True),
        (date(2027, 1, 1), None, False),
        (None, date(2026, 1, 1), True),
        (None, date(2025, 12, 31), False),
        (None, None, True),
    ],
)
def test_validity_overlap(start: date | None, end: date | None, overlaps: bool) -> None:
    other = a_list(id="pl-2", valid_from=start, valid_to=end)
    assert a_list().overlaps(other) is overlaps
    assert (
        a_list().overlaps(a_list(id="pl-3", currency="USD", valid_from=start, valid_to=end))
        is False
    )


async def test_overlapping_lists_of_a_customer_and_currency_are_refused(uow: Any) -> None:
    buyer = await a_customer(uow)
    new = NewPriceList(
        name="2026",
        currency="EUR",
        customer_id=buyer.id,
        entries=BREAKS,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )
    first = await price_lists.create_price_list(uow, new)
    with pytest.raises(OverlappingPriceList) as raised:
        await price_lists.create_price_list(
            uow,
            NewPriceList(
                name="H2",
                currency="EUR",
                customer_id=buyer.id,
                entries=(),
                valid_from=date(2026, 7, 1),
            ),
        )
    assert raised.value.other_id == first.id
    later = NewPriceList(
        name="2027", currency="EUR", customer_id=buyer.id, entries=(), valid_from=date(2027, 1, 1)
    )
    second = await price_lists.create_price_list(uow, later)
    usd = NewPriceList(name="USD", currency="USD", customer_id=buyer.id, entries=())
    await price_lists.create_price_list(uow, usd)
    with pytest.raises(OverlappingPriceList):  # replacing must not overlap the other either
        await price_lists.replace_price_list(
            uow,
            second.id,
            NewPriceList(
                name="2027",
                currency="EUR",
                customer_id=buyer.id,
                entries=(),
                valid_from=date(2026, 6, 1),
            ),
        )
    assert len(uow.price_lists.rows) == 3
    with pytest.raises(InvalidPriceList) as unknown:
        await price_lists.create_price_list(
            uow, NewPriceList(name="x", currency="EUR", customer_id="no-such-customer", entries=())
        )
    assert unknown.value.field == "customer_id"


async def test_an_order_line_is_priced_from_the_customers_list_with_its_quantity_break(
    uow: Any,
) -> None:
    product = ProductChanged(
        sku="BOLT", name="Bolt", kind="product", list_prices=[{"currency": "EUR", "amount": "0.35"}]
    )
    await catalogue.product_changed(
        uow, new_event(EventType.PRODUCT_CHANGED, product, source="/inventory", subject="BOLT")
    )
    buyer, other = await a_customer(uow), await a_customer(uow, email="other@example.com")
    await price_lists.create_price_list(
        uow, NewPriceList(name="Acme", currency="EUR", customer_id=buyer.id, entries=BREAKS)
    )

    def line(quantity: str) -> LineInput:
        return LineInput("BOLT", LineKind.PRODUCT, "", D(quantity), None, D("21"))

    new = orders.NewOrder(customer_id=buyer.id, currency="EUR", lines=[line("10"), line("150")])
    order = await orders.create_order(uow, new)
    assert [ln.unit_price for ln in order.lines] == [D("0.30"), D("0.25")]
    theirs = orders.NewOrder(customer_id=other.id, currency="EUR", lines=[line("150")])
    assert (await orders.create_order(uow, theirs)).lines[0].unit_price == D("0.35")
    offer = await catalogue.look_up(
        uow, "BOLT", currency="EUR", customer_id=buyer.id, quantity=D("1000")
    )
    assert offer.price is not None
    assert (offer.price.unit_price, offer.price.source) == (D("0.21"), "price_list")


async def test_a_customers_own_list_wins_over_its_groups_and_the_group_must_exist(
    uow: Any,
) -> None:
    await uow.customer_groups.add(CustomerGroup("WHOLESALE", "Wholesale", None, NOW))
    member = await a_customer(uow, group="WHOLESALE")
    other = await a_customer(uow, email="other@example.com", group="WHOLESALE")
    await price_lists.create_price_list(
        uow,
        NewPriceList(
            name="Wholesale",
            currency="EUR",
            customer_group="WHOLESALE",
            entries=(PriceBreak("BOLT", D("0"), discount_percent=D("10")),),
        ),
    )
    await price_lists.create_price_list(
        uow,
        NewPriceList(name="Member", currency="EUR", customer_id=member.id, entries=(BREAKS[0],)),
    )
    own = await price_lists.pricer(uow, "EUR", customer_id=member.id, day=date(2026, 5, 1))
    group = await price_lists.pricer(uow, "EUR", customer_id=other.id, day=date(2026, 5, 1))
    assert own.price("BOLT", D("1"), D("0.35")).unit_price == D("0.30")
    assert group.price("BOLT", D("1"), D("0.35")).unit_price == D("0.32")  # 0.315 rounded up
    with pytest.raises(InvalidPriceList) as raised:
        await price_lists.create_price_list(
            uow, NewPriceList(name="x", currency="EUR", customer_group="RETAIL", entries=())
        )
    assert raised.value.field == "customer_group"
