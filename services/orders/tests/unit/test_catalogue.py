"""The catalogue view: kept forwards from inventory's events, and pricing order lines."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from orders_builders import a_customer

from contracts import EventType, new_event
from contracts.events import ProductChanged, StockLevelChanged
from orders.domain.content import LineInput, LineKind
from orders.domain.errors import InvalidOrder
from orders.service_layer import catalogue, orders


def product(sku: str = "BOLT", *, sequence: int | None = 1, **fields: Any) -> Any:
    data = {"name": "Bolt M8", "kind": "product", "list_prices": [], **fields}
    event = new_event(
        EventType.PRODUCT_CHANGED, ProductChanged(sku=sku, **data), source="/inventory", subject=sku
    )
    return event.model_copy(update={"sequence": sequence})


def level(sku: str, available: str, *, sequence: int, warehouse: str = "MAIN") -> Any:
    data = StockLevelChanged(
        sku=sku,
        warehouse=warehouse,
        on_hand=D(available) + 2,
        reserved=D(2),
        available=D(available),
    )
    event = new_event(EventType.STOCK_LEVEL_CHANGED, data, source="/inventory", subject=sku)
    return event.model_copy(update={"sequence": sequence})


def line(sku: str, price: str | None = None, description: str = "") -> LineInput:
    unit_price = D(price) if price is not None else None
    return LineInput(sku, LineKind.PRODUCT, description, D("3"), unit_price, D("21"))


EUR_4_20 = [{"currency": "EUR", "amount": "4.20"}, {"currency": "USD", "amount": "5.00"}]


async def test_the_view_moves_only_forwards(uow: Any) -> None:
    assert await catalogue.product_changed(uow, product(sequence=3, name="Bolt M8 zinc"))
    assert not await catalogue.product_changed(uow, product(sequence=2, name="Bolt (old)"))
    assert (await uow.catalogue.get("BOLT")).name == "Bolt M8 zinc"

    assert await catalogue.stock_level_changed(uow, level("BOLT", "7", sequence=5))
    assert not await catalogue.stock_level_changed(uow, level("BOLT", "9", sequence=4))
    assert await catalogue.stock_level_changed(uow, level("BOLT", "1", sequence=6, warehouse="W2"))
    offer = await catalogue.look_up(uow, "BOLT")
    assert (offer.availability.available, offer.availability.on_hand) == (D(8), D(12))
    assert [w.warehouse for w in offer.availability.warehouses] == ["MAIN", "W2"]


async def test_a_line_without_price_takes_the_list_price_and_the_item_name(uow: Any) -> None:
    await catalogue.product_changed(uow, product(list_prices=EUR_4_20))
    [priced] = await catalogue.price_lines(uow, [line("BOLT")], "EUR", customer_id=None, day=None)
    assert (priced.unit_price, priced.description) == (D("4.20"), "Bolt M8")
    [given] = await catalogue.price_lines(
        uow, [line("BOLT", "3.99", "Bolts")], "USD", customer_id=None, day=None
    )
    assert (given.unit_price, given.description) == (D("3.99"), "Bolts")  # as given
    offer = await catalogue.look_up(uow, "BOLT", currency="USD")
    assert offer.price is not None
    assert (offer.price.unit_price, offer.price.source) == (D("5.00"), "list_price")


async def test_an_item_without_a_price_in_the_currency_needs_one(uow: Any) -> None:
    await catalogue.product_changed(uow, product(list_prices=EUR_4_20))
    with pytest.raises(InvalidOrder) as raised:
        await catalogue.price_lines(
            uow, [line("BOLT", "1"), line("BOLT")], "JPY", customer_id=None, day=None
        )
    assert raised.value.field == "lines.1.unit_price"
    assert "JPY" in raised.value.message


async def test_unknown_skus_are_refused_when_the_catalogue_is_required(uow: Any) -> None:
    await catalogue.product_changed(uow, product(list_prices=EUR_4_20))
    lines = [line("BOLT"), line("GHOST", "1.00")]
    assert (
        len(await catalogue.price_lines(uow, lines, "EUR", customer_id=None, day=None)) == 2
    )  # as given
    uow.catalogue_required = True
    with pytest.raises(InvalidOrder) as raised:
        await catalogue.price_lines(uow, lines, "EUR", customer_id=None, day=None)
    assert raised.value.field == "lines.1.sku"
    assert "GHOST" in raised.value.message
    ad_hoc = LineInput("TRAVEL", LineKind.SERVICE, "Travel", D("1"), D("40"), D("21"))
    assert (
        len(await catalogue.price_lines(uow, [ad_hoc], "EUR", customer_id=None, day=None)) == 1
    )  # a service may be


@pytest.mark.parametrize("required", [True, False])
async def test_an_inactive_item_is_always_refused(uow: Any, required: bool) -> None:
    uow.catalogue_required = required
    await catalogue.product_changed(uow, product(active=False, list_prices=EUR_4_20))
    with pytest.raises(InvalidOrder, match="inactive") as raised:
        await catalogue.price_lines(uow, [line("BOLT", "1.00")], "EUR", customer_id=None, day=None)
    assert raised.value.field == "lines.0.sku"


async def test_an_order_is_created_with_catalogue_prices_and_nothing_on_refusal(uow: Any) -> None:
    uow.catalogue_required = True
    await catalogue.product_changed(uow, product(list_prices=EUR_4_20))
    buyer = await a_customer(uow)
    new = orders.NewOrder(customer_id=buyer.id, currency="EUR", lines=[line("BOLT")])
    order = await orders.create_order(uow, new)
    assert (order.lines[0].unit_price, order.totals.net) == (D("4.20"), D("12.60"))

    refused = orders.NewOrder(customer_id=buyer.id, currency="EUR", lines=[line("NOPE", "1")])
    with pytest.raises(InvalidOrder) as raised:
        await orders.create_order(uow, refused)
    assert raised.value.field == "lines.0.sku"


async def test_a_line_without_tax_rate_takes_the_rate_of_its_tax_category(uow: Any) -> None:
    await catalogue.product_changed(
        uow, product("BOOK", tax_category="reduced", list_prices=EUR_4_20)
    )
    await catalogue.product_changed(uow, product("BOLT", list_prices=EUR_4_20))  # standard
    await catalogue.product_changed(uow, product("GIFT", tax_category="exempt"))
    uow.tax_rates = {"standard": D("21"), "reduced": D("10")}
    untaxed = [
        LineInput("BOOK", LineKind.PRODUCT, "", D("1"), None, None),
        LineInput("BOLT", LineKind.PRODUCT, "", D("1"), None, None),
        LineInput("BOLT", LineKind.PRODUCT, "", D("1"), None, D("0")),  # given: kept
    ]
    priced = await catalogue.price_lines(uow, untaxed, "EUR", customer_id=None, day=None)
    assert [p.tax_rate for p in priced] == [D("10"), D("21"), D("0")]

    for sku, reason in (("GIFT", "tax category 'exempt'"), ("NOBODY", "not in the catalogue")):
        with pytest.raises(InvalidOrder, match=reason) as refused:
            await catalogue.price_lines(
                uow,
                [LineInput(sku, LineKind.SERVICE, "x", D("1"), D("1"), None)],
                "EUR",
                customer_id=None,
                day=None,
            )
        assert refused.value.field == "lines.0.tax_rate"
