"""The catalogue's rules: GTIN barcodes, list prices per ISO 4217 currency, and the event."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from contracts import EventType
from inventory.domain.catalogue import CatalogueDetails, InvalidCatalogueEntry, gtin, list_prices
from inventory.domain.commands import UpsertProduct
from inventory.domain.model import ItemKind
from inventory.domain.purchasing import (
    CreatePurchaseOrder,
    PurchaseLineInput,
    PurchaseOrderAction,
    ReceiveGoods,
    VendorDetails,
)
from inventory.domain.records import StockFilter
from inventory.service_layer import catalogue, purchasing, stock


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        ("4006381333931", "4006381333931"),  # EAN-13
        ("4006-3813 33931", "4006381333931"),  # separators dropped
        ("96385074", "96385074"),  # EAN-8
        ("036000291452", "036000291452"),  # UPC-A
        ("10012345678902", "10012345678902"),  # GTIN-14
    ],
)
def test_a_valid_gtin_is_kept_in_its_compact_form(barcode: str, expected: str) -> None:
    assert gtin(barcode) == expected


@pytest.mark.parametrize("barcode", ["4006381333932", "40063813", "12345", "ABCDEFGHIJKLM"])
def test_an_invalid_gtin_is_refused_naming_the_field(barcode: str) -> None:
    with pytest.raises(InvalidCatalogueEntry) as raised:
        gtin(barcode)
    assert raised.value.field == "barcode"


def test_list_prices_are_rounded_to_the_currency_minor_unit() -> None:
    prices = list_prices([("USD", D("9.999")), ("JPY", D("1500.4")), ("EUR", D("10"))])
    assert prices == {"EUR": D("10.00"), "JPY": D("1500.00"), "USD": D("10.00")}
    assert list(prices) == ["EUR", "JPY", "USD"]


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        ([("EUR", D("1")), ("EUR", D("2"))], "list_prices.1.currency"),
        ([("ZZZ", D("1"))], "list_prices.0.currency"),
        ([("EUR", D("1")), ("USD", D("-1"))], "list_prices.1.amount"),
    ],
)
def test_bad_list_prices_name_the_field(prices: list[tuple[str, D]], field: str) -> None:
    with pytest.raises(InvalidCatalogueEntry) as raised:
        list_prices(prices)
    assert raised.value.field == field


async def test_an_upsert_records_the_whole_entry(fake_uow: Any) -> None:
    details = CatalogueDetails(
        list_prices={"EUR": D("4.20")}, unit_of_measure="kg", active=False, barcode="96385074"
    )
    command = UpsertProduct(sku="FLOUR", name="Flour", kind=ItemKind.PRODUCT, details=details)
    product, created = await catalogue.upsert_product(fake_uow, command)
    assert created
    assert product.details == details
    await catalogue.upsert_product(
        fake_uow, UpsertProduct(sku="FLOUR", name="Flour 1kg", kind=ItemKind.PRODUCT)
    )
    changed = [e for e in fake_uow.events if e.type == EventType.PRODUCT_CHANGED.value]
    assert [(e.subject, e.data.name, e.data.active) for e in changed] == [
        ("FLOUR", "Flour", False),
        ("FLOUR", "Flour 1kg", True),
    ]
    first = changed[0].data
    assert [(p.currency, p.amount) for p in first.list_prices] == [("EUR", D("4.20"))]
    assert (first.unit_of_measure, first.barcode) == ("kg", "96385074")
    assert datetime.now(UTC) >= product.created_at


async def test_stock_at_a_glance_shows_what_purchase_orders_still_expect(fake_uow: Any) -> None:
    for sku in ("BOLT", "NUT"):
        await catalogue.upsert_product(
            fake_uow, UpsertProduct(sku=sku, name=sku, kind=ItemKind.PRODUCT)
        )
    details = VendorDetails(name="Bolt & Co", currency="EUR")
    vendor = await purchasing.create_vendor(fake_uow, details)
    line = PurchaseLineInput(sku="BOLT", quantity=D(40), unit_price=D("0.10"))
    po = await purchasing.create_purchase_order(
        fake_uow, CreatePurchaseOrder(vendor_id=vendor.id, lines=(line,))
    )
    rows, _ = await stock.overview(fake_uow, StockFilter(), limit=10)
    assert [(r.sku, r.incoming) for r in rows] == [("BOLT", D(0)), ("NUT", D(0))]  # a draft
    await purchasing.send_purchase_order(fake_uow, PurchaseOrderAction(purchase_order_id=po.id))
    await purchasing.receive_goods(
        fake_uow, ReceiveGoods(purchase_order_id=po.id, lines=(("BOLT", D(15)),))
    )
    rows, _ = await stock.overview(fake_uow, StockFilter(), limit=10)
    assert [(r.sku, r.on_hand, r.incoming) for r in rows] == [
        ("BOLT", D(15), D(25)),
        ("NUT", D(0), D(0)),
    ]
    levels = [e.data for e in fake_uow.events if e.type == EventType.STOCK_LEVEL_CHANGED.value]
    assert [(level.sku, level.on_hand) for level in levels] == [("BOLT", D(15))]  # the receipt
