"""Purchasing on the in-memory unit of work: the purchase order's rules, vendors' defaults,
and receipts that raise on-hand and serve the waiting orders in confirmation order."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from purchasing_builders import confirmed

from contracts import EventType
from inventory.domain.catalogue import CatalogueDetails
from inventory.domain.commands import AdjustStock, CreateWarehouse, UpsertProduct
from inventory.domain.model import AdjustmentKind, ItemKind, MovementKind
from inventory.domain.purchasing import (
    CreatePurchaseOrder,
    NotOnPurchaseOrder,
    NotPurchasable,
    Offer,
    PurchaseLine,
    PurchaseLineInput,
    PurchaseOrder,
    PurchaseOrderAction,
    PurchaseOrderStateError,
    PurchaseOrderStatus,
    ReceiptExceedsOrder,
    ReceiveGoods,
    ReorderPoint,
    SuppliedProduct,
    UnknownPurchaseOrder,
    UnknownReorderPoint,
    VendorDetails,
    points_per_warehouse,
    suggestions,
)
from inventory.domain.warehouses import UnknownWarehouse
from inventory.service_layer import catalogue, purchasing, reservations, stock, warehouses

D = Decimal
TODAY = date(2026, 12, 1)


def today() -> date:
    return TODAY


def order(
    *lines: PurchaseLine, status: PurchaseOrderStatus = PurchaseOrderStatus.SENT
) -> PurchaseOrder:
    return PurchaseOrder(
        id="po-1",
        number="PO-2026-000001",
        vendor_id="v-1",
        currency="EUR",
        warehouse="MAIN",
        status=status,
        lines=list(lines),
    )


# --- rules --------------------------------------------------------------------------------------


def test_receipts_fill_lines_in_order_and_move_the_status() -> None:
    po = order(
        PurchaseLine("A", D(5), D(2)), PurchaseLine("A", D(3), D(2)), PurchaseLine("B", D(1), D(9))
    )
    assert po.open_quantities == {"A": D(8), "B": D(1)}

    assert po.receive({"A": D(6)}) == {"A": D("6.000")}
    assert [line.received for line in po.lines] == [D(5), D(1), D(0)]
    assert po.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert po.open_quantities == {"A": D(2), "B": D(1)}

    po.receive({"A": D(2), "B": D(1)})
    assert po.status is PurchaseOrderStatus.RECEIVED
    assert po.open_quantities == {}
    with pytest.raises(PurchaseOrderStateError):
        po.receive({"A": D(1)})


def test_a_receipt_beyond_the_order_changes_nothing_unless_the_line_allows_it() -> None:
    po = order(PurchaseLine("A", D(5), D(2)), PurchaseLine("B", D(2), D(1)))
    with pytest.raises(ReceiptExceedsOrder, match="3 of B: the purchase order expects only 2 more"):
        po.receive({"A": D(1), "B": D(3)})  # B is refused, so A is not received either
    assert [line.received for line in po.lines] == [D(0), D(0)]
    with pytest.raises(NotOnPurchaseOrder):
        po.receive({"C": D(1)})

    generous = order(PurchaseLine("A", D(5), D(2), allow_over_receipt=True))
    generous.receive({"A": D(7)})
    assert generous.lines[0].received == D(7)
    assert generous.lines[0].open == D(0)
    assert generous.status is PurchaseOrderStatus.RECEIVED


def test_only_an_order_nothing_arrived_for_may_be_cancelled_and_only_a_draft_sent() -> None:
    draft = order(PurchaseLine("A", D(1), D(1)), status=PurchaseOrderStatus.DRAFT)
    with pytest.raises(PurchaseOrderStateError):
        draft.receive({"A": D(1)})  # not sent yet
    draft.send()
    with pytest.raises(PurchaseOrderStateError):
        draft.send()
    draft.receive({"A": D("0.5")})
    with pytest.raises(PurchaseOrderStateError, match="partially_received"):
        draft.cancel()
    fresh = order(PurchaseLine("A", D(1), D(1)))
    fresh.cancel()
    assert fresh.status is PurchaseOrderStatus.CANCELLED
    assert fresh.open_quantities == {}  # a cancelled order brings nothing in


def test_the_total_rounds_each_line_to_the_currency_first() -> None:
    po = order(PurchaseLine("A", D(3), D("0.3333")), PurchaseLine("B", D(1), D("0.005")))
    assert [line.net("EUR") for line in po.lines] == [D("1.00"), D("0.01")]
    assert po.total == D("1.01")


# --- use cases ----------------------------------------------------------------------------------


async def _product(uow: Any, sku: str, kind: ItemKind = ItemKind.PRODUCT) -> None:
    await catalogue.upsert_product(uow, UpsertProduct(sku=sku, name=sku, kind=kind))


async def _vendor(uow: Any, *supplies: SuppliedProduct) -> str:
    details = VendorDetails(
        name="Bolt & Co", currency="EUR", email="sales@bolt.test", supplies=supplies
    )
    return (await purchasing.create_vendor(uow, details)).id


async def test_a_purchase_order_takes_prices_and_dates_from_the_vendor(fake_uow: Any) -> None:
    await _product(fake_uow, "BOLT")
    await _product(fake_uow, "NUT")
    vendor_id = await _vendor(fake_uow, SuppliedProduct("BOLT", D("0.1234"), 10))
    command = CreatePurchaseOrder(
        vendor_id=vendor_id,
        lines=(
            PurchaseLineInput(sku="BOLT", quantity=D(100)),
            PurchaseLineInput(
                sku="NUT", quantity=D(10), unit_price=D("0.05"), expected_date=date(2027, 1, 4)
            ),
        ),
    )
    po = await purchasing.create_purchase_order(fake_uow, command, today=today)
    assert (po.number, po.status, po.currency) == (
        "PO-2026-000001",
        PurchaseOrderStatus.DRAFT,
        "EUR",
    )
    assert [(line.unit_price, line.expected_date) for line in po.lines] == [
        (D("0.1234"), date(2026, 12, 11)),  # today + the 10-day lead time
        (D("0.05"), date(2027, 1, 4)),
    ]
    assert po.total == D("12.84")
    told = [e for e in fake_uow.events if e.type != EventType.PRODUCT_CHANGED.value]
    assert told == []  # a draft tells nobody

    no_price = CreatePurchaseOrder(
        vendor_id=vendor_id, lines=(PurchaseLineInput(sku="NUT", quantity=D(1)),)
    )
    with pytest.raises(NotPurchasable) as refused:
        await purchasing.create_purchase_order(fake_uow, no_price, today=today)
    assert refused.value.field == "lines[0].unit_price"


async def test_services_unknown_products_and_vendors_are_refused(fake_uow: Any) -> None:
    await _product(fake_uow, "INSTALL", ItemKind.SERVICE)
    with pytest.raises(NotPurchasable) as service:
        await _vendor(fake_uow, SuppliedProduct("INSTALL", D(1), 0))
    assert service.value.field == "supplies[0].sku"
    vendor_id = await _vendor(fake_uow)
    for lines, field in (
        ((PurchaseLineInput(sku="GHOST", quantity=D(1), unit_price=D(1)),), "lines[0].sku"),
    ):
        with pytest.raises(NotPurchasable) as refused:
            await purchasing.create_purchase_order(
                fake_uow, CreatePurchaseOrder(vendor_id=vendor_id, lines=lines), today=today
            )
        assert refused.value.field == field
    with pytest.raises(NotPurchasable) as vendor:
        await purchasing.create_purchase_order(
            fake_uow,
            CreatePurchaseOrder(
                vendor_id="nobody", lines=(PurchaseLineInput(sku="X", quantity=D(1)),)
            ),
        )
    assert vendor.value.field == "vendor_id"
    with pytest.raises(UnknownPurchaseOrder):
        await purchasing.receive_goods(
            fake_uow, ReceiveGoods(purchase_order_id="nope", lines=(("X", D(1)),))
        )


async def test_an_inactive_product_is_refused_on_a_purchase_order_and_not_suggested(
    fake_uow: Any,
) -> None:
    await _product(fake_uow, "BOLT")
    await _product(fake_uow, "OLD")
    vendor_id = await _vendor(fake_uow, SuppliedProduct("OLD", D(2), 1))
    withdrawn = CatalogueDetails(active=False)
    await catalogue.upsert_product(
        fake_uow, UpsertProduct(sku="OLD", name="Old", kind=ItemKind.PRODUCT, details=withdrawn)
    )
    lines = (
        PurchaseLineInput(sku="BOLT", quantity=D(1), unit_price=D(1)),
        PurchaseLineInput(sku="OLD", quantity=D(1)),
    )
    with pytest.raises(NotPurchasable) as refused:
        await purchasing.create_purchase_order(
            fake_uow, CreatePurchaseOrder(vendor_id=vendor_id, lines=lines), today=today
        )
    assert (refused.value.field, refused.value.sku) == ("lines[1].sku", "OLD")
    assert "inactive" in str(refused.value)

    await purchasing.set_reorder_point(fake_uow, ReorderPoint("OLD", D(5), D(5)))
    assert await purchasing.suggest_purchases(fake_uow) == []
    assert await purchasing.draft_suggested_purchases(fake_uow, today=today) == []


async def test_receipts_in_two_parts_serve_three_backorders_in_confirmation_order(
    fake_uow: Any,
) -> None:
    await _product(fake_uow, "BOLT")
    for order_id, quantity in (("first", "4"), ("second", "2"), ("third", "3")):
        await reservations.reserve_order(fake_uow, confirmed(order_id, "BOLT", quantity))
    vendor_id = await _vendor(fake_uow, SuppliedProduct("BOLT", D(1), 3))
    po = await purchasing.create_purchase_order(
        fake_uow,
        CreatePurchaseOrder(
            vendor_id=vendor_id, lines=(PurchaseLineInput(sku="BOLT", quantity=D(10)),)
        ),
        today=today,
    )
    po = await purchasing.send_purchase_order(
        fake_uow, PurchaseOrderAction(purchase_order_id=po.id)
    )
    assert await purchasing.incoming(fake_uow, "BOLT") == D(10)
    fake_uow.recorded.clear()

    # 5 arrive: the oldest order (4) fits, the second (2) would not after it, the third (3) neither.
    first = await purchasing.receive_goods(
        fake_uow, ReceiveGoods(purchase_order_id=po.id, lines=(("BOLT", D(5)),))
    )
    assert first.reserved_orders == ("first",)
    assert await purchasing.incoming(fake_uow, "BOLT") == D(5)
    # 5 more: 1 + 5 = 6 available, second (2) then third (3), in confirmation order.
    second = await purchasing.receive_goods(
        fake_uow, ReceiveGoods(purchase_order_id=po.id, lines=(("BOLT", D(5)),))
    )
    assert second.reserved_orders == ("second", "third")
    assert await purchasing.incoming(fake_uow, "BOLT") == D(0)

    level = await stock.get_stock(fake_uow, "BOLT")
    assert (level.on_hand, level.reserved) == (D(10), D(9))
    received = [e for e in fake_uow.events if e.type == EventType.GOODS_RECEIVED]
    assert [(e.data.fully_received, e.data.reserved_orders) for e in received] == [
        (False, ["first"]),
        (True, ["second", "third"]),
    ]
    reserved = [e for e in fake_uow.events if e.type == EventType.STOCK_RESERVED]
    assert [e.subject for e in reserved] == ["first", "second", "third"]
    assert {e.causationid for e in reserved} <= {e.id for e in received}
    ledger, _ = await stock.list_movements(fake_uow, "BOLT", limit=50)
    receipts = [m for m in ledger if m.kind is MovementKind.RECEIPT]
    assert [(m.quantity_change, m.reference) for m in receipts] == [
        (D(5), first.id),
        (D(5), second.id),
    ]
    stored = await purchasing.get_purchase_order(fake_uow, po.id)
    assert stored.status is PurchaseOrderStatus.RECEIVED
    assert [r.id for r in await purchasing.list_receipts(fake_uow, po.id)] == [first.id, second.id]


async def test_sending_records_the_document_and_cancelling_a_sent_order_tells_it(
    fake_uow: Any,
) -> None:
    await _product(fake_uow, "BOLT")
    vendor_id = await _vendor(fake_uow, SuppliedProduct("BOLT", D("1.5"), 0))
    po = await purchasing.create_purchase_order(
        fake_uow,
        CreatePurchaseOrder(
            vendor_id=vendor_id, lines=(PurchaseLineInput(sku="BOLT", quantity=D(4)),)
        ),
        today=today,
    )
    po = await purchasing.send_purchase_order(
        fake_uow, PurchaseOrderAction(purchase_order_id=po.id)
    )
    assert po.sent_at is not None
    [sent] = [e for e in fake_uow.events if e.type != EventType.PRODUCT_CHANGED.value]
    assert sent.type == EventType.PURCHASE_ORDER_SENT
    assert (sent.subject, sent.data.vendor_email, sent.data.total) == (
        po.id,
        "sales@bolt.test",
        D("6.00"),
    )
    cancelled = await purchasing.cancel_purchase_order(
        fake_uow, PurchaseOrderAction(purchase_order_id=po.id)
    )
    assert cancelled.status is PurchaseOrderStatus.CANCELLED
    assert [e.type for e in fake_uow.events][-1] == EventType.PURCHASE_ORDER_CANCELLED
    with pytest.raises(PurchaseOrderStateError):
        await purchasing.receive_goods(
            fake_uow, ReceiveGoods(purchase_order_id=po.id, lines=(("BOLT", D(1)),))
        )
    assert await purchasing.incoming(fake_uow, "BOLT") == D(0)
    assert uuid.UUID(po.id)


# --- the suggested purchase list ----------------------------------------------------------------


def test_suggestions_buy_up_to_the_point_and_at_least_the_quantity_from_the_cheapest() -> None:
    points = [
        ReorderPoint("A", D(10), D(4)),  # 3 + 2 = 5 < 10: up to the point, 5
        ReorderPoint("B", D(10), D(20)),  # 9 < 10: at least the reorder quantity, 20
        ReorderPoint("C", D(5), D(5)),  # 5 + 0 = 5: not below
        ReorderPoint("D", D(1), D(1)),  # no vendor supplies it
    ]
    offers = {
        "A": [Offer("v2", D("1.10"), 9), Offer("v1", D("1.10"), 3), Offer("v3", D(2), 1)],
        "B": [Offer("v3", D("0.5"), 30)],
    }
    placed = points_per_warehouse(points, ["MAIN"], "MAIN", set())
    available = {("MAIN", "A"): D(3), ("MAIN", "B"): D(9), ("MAIN", "C"): D(5)}
    found = suggestions(placed, available, {("MAIN", "A"): D(2)}, offers)
    assert [(s.sku, s.quantity, s.offer.vendor_id if s.offer else None) for s in found] == [
        ("A", D(5), "v1"),  # equal price: the quicker vendor
        ("B", D(20), "v3"),
        ("D", D(1), None),
    ]


async def test_suggestions_become_one_draft_per_vendor_once(fake_uow: Any) -> None:
    for sku in ("BOLT", "NUT", "WASHER"):
        await _product(fake_uow, sku)
    cheap = await _vendor(
        fake_uow, SuppliedProduct("BOLT", D("0.1"), 2), SuppliedProduct("NUT", D(1), 2)
    )
    await _vendor(
        fake_uow, SuppliedProduct("BOLT", D("0.2"), 1), SuppliedProduct("WASHER", D(3), 5)
    )
    for sku, point, quantity in (("BOLT", "10", "50"), ("NUT", "5", "1"), ("WASHER", "2", "3")):
        await purchasing.set_reorder_point(fake_uow, ReorderPoint(sku, D(point), D(quantity)))
    with pytest.raises(NotPurchasable):
        await purchasing.set_reorder_point(fake_uow, ReorderPoint("GHOST", D(1), D(1)))

    drafts = await purchasing.draft_suggested_purchases(fake_uow, today=today)
    by_vendor = {
        po.vendor_id: [(line.sku, line.quantity, line.unit_price) for line in po.lines]
        for po in drafts
    }
    assert by_vendor[cheap] == [("BOLT", D(50), D("0.1")), ("NUT", D(5), D(1))]
    assert [lines for vendor, lines in by_vendor.items() if vendor != cheap] == [
        [("WASHER", D(3), D(3))]
    ]
    assert all(po.status is PurchaseOrderStatus.DRAFT for po in drafts)
    assert await purchasing.suggest_purchases(fake_uow) == []  # the drafts are on order
    assert await purchasing.draft_suggested_purchases(fake_uow, today=today) == []


def test_a_warehouse_s_own_point_wins_and_the_product_s_is_the_fallback() -> None:
    points = [
        ReorderPoint("BOLT", D(10), D(5)),  # the product's
        ReorderPoint("BOLT", D(2), D(1), "EAST"),  # EAST's own
        ReorderPoint("NUT", D(4), D(4), "WEST"),  # only WEST's own
        ReorderPoint("NUT", D(9), D(9), "GONE"),  # an inactive warehouse: left out
    ]
    stocked = {("WEST", "BOLT")}  # BOLT has a level in WEST, none in NORTH
    placed = points_per_warehouse(points, ["EAST", "MAIN", "NORTH", "WEST"], "MAIN", stocked)
    assert [(p.sku, p.warehouse, p.reorder_point) for p in placed] == [
        ("BOLT", "EAST", D(2)),
        ("BOLT", "MAIN", D(10)),  # the default warehouse falls back
        ("BOLT", "WEST", D(10)),  # stocked there: falls back
        ("NUT", "WEST", D(4)),
    ]


async def test_suggestions_per_warehouse_become_drafts_into_that_warehouse(fake_uow: Any) -> None:
    await _product(fake_uow, "BOLT")
    vendor = await _vendor(fake_uow, SuppliedProduct("BOLT", D(1), 2))
    await warehouses.create_warehouse(fake_uow, CreateWarehouse(code="EAST", name="East"))
    await stock.adjust_stock(
        fake_uow,
        AdjustStock(
            sku="BOLT", kind=AdjustmentKind.RECEIPT, quantity=D(3), reason="t", warehouse="EAST"
        ),
    )
    await purchasing.set_reorder_point(fake_uow, ReorderPoint("BOLT", D(2), D(10)))
    await purchasing.set_reorder_point(fake_uow, ReorderPoint("BOLT", D(8), D(6), "EAST"))
    with pytest.raises(UnknownWarehouse):
        await purchasing.set_reorder_point(fake_uow, ReorderPoint("BOLT", D(1), D(1), "NOPE"))

    found = await purchasing.suggest_purchases(fake_uow)
    assert [(s.warehouse, s.available, s.reorder_point, s.quantity) for s in found] == [
        ("EAST", D(3), D(8), D(6)),  # its own point: 3 < 8, at least 6
        ("MAIN", D(0), D(2), D(10)),  # the product's point
    ]
    drafts = await purchasing.draft_suggested_purchases(fake_uow, today=today)
    assert sorted((po.warehouse, po.vendor_id, po.lines[0].quantity) for po in drafts) == [
        ("EAST", vendor, D(6)),
        ("MAIN", vendor, D(10)),
    ]
    assert await purchasing.suggest_purchases(fake_uow) == []  # each warehouse has its draft

    await purchasing.remove_reorder_point(fake_uow, "BOLT", "EAST")  # back to the product's
    assert [p.warehouse for p in await purchasing.list_reorder_points(fake_uow)] == [None]
    with pytest.raises(UnknownReorderPoint):
        await purchasing.remove_reorder_point(fake_uow, "BOLT", "EAST")
