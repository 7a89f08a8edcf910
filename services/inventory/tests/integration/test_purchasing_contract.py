"""The purchasing and returns repositories' contract: each case on the in-memory fake and on the SQL
adapters against a migrated PostgreSQL database (rolled back at its end)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.domain.model import DemandStatus, ItemKind
from inventory.domain.purchasing import (
    Offer,
    PurchaseLine,
    PurchaseOrder,
    PurchaseOrderStatus,
    ReorderPoint,
    SuppliedProduct,
    VendorDetails,
)
from inventory.domain.records import OrderDemand
from inventory.domain.returns import Disposition, ReturnAuthorisation, ReturnStatus
from inventory.entrypoints.cli import MIGRATIONS_DIR
from inventory.service_layer.ports import UnitOfWork
from servicekit.testing import contract_sessions_fixture, fake_or_sql_fixture

D = Decimal

contract_sessions = contract_sessions_fixture(MIGRATIONS_DIR, "inventory_purchasing")
uow = fake_or_sql_fixture(SqlUnitOfWork)


def code(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8].upper()}"


async def product(uow: UnitOfWork, label: str) -> str:
    sku = code(label)
    await uow.products.add(sku=sku, name=sku, kind=ItemKind.PRODUCT, description=None)
    return sku


async def test_a_vendor_is_stored_replaced_and_found(uow: UnitOfWork) -> None:
    bolt, nut = await product(uow, "BOLT"), await product(uow, "NUT")
    name = code("Zeta Supplies")
    details = VendorDetails(
        name=name,
        currency="EUR",
        payment_terms_days=14,
        email="orders@zeta.test",
        address={"line1": "Dock 4", "city": "Rotterdam", "postal_code": "3011", "country": "NL"},
        supplies=(
            SuppliedProduct(nut, D("0.0125"), 7, vendor_sku="Z-NUT"),
            SuppliedProduct(bolt, D("0.5"), 3),
        ),
    )
    vendor = await uow.vendors.add(str(uuid.uuid4()), details)
    assert vendor == await uow.vendors.get(vendor.id)
    assert [(s.sku, s.purchase_price, s.lead_time_days) for s in vendor.supplies] == [
        (bolt, D("0.5"), 3),
        (nut, D("0.0125"), 7),
    ]  # in SKU order
    assert vendor.address is not None
    assert vendor.address["city"] == "Rotterdam"

    changed = await uow.vendors.replace(vendor.id, replace(details, supplies=(), phone="+31 10"))
    assert changed is not None
    assert (changed.supplies, changed.phone, changed.created_at) == (
        (),
        "+31 10",
        vendor.created_at,
    )
    assert await uow.vendors.replace(str(uuid.uuid4()), details) is None
    assert await uow.vendors.get(str(uuid.uuid4())) is None

    found, more = await uow.vendors.page(limit=10, after=None, text=name[-8:].lower())
    assert ([v.id for v in found], more) == ([vendor.id], False)
    by_mail, _ = await uow.vendors.page(limit=10, after=None, text="ORDERS@ZETA")
    assert vendor.id in [v.id for v in by_mail]
    after, _ = await uow.vendors.page(limit=10, after=(name, vendor.id), text=name)
    assert after == []
    wildcard, _ = await uow.vendors.page(limit=10, after=None, text="%")
    assert wildcard == []  # found literally, not as a pattern


async def test_purchase_orders_keep_lines_receipts_and_incoming(uow: UnitOfWork) -> None:
    bolt, nut = await product(uow, "BOLT"), await product(uow, "NUT")
    vendor = await uow.vendors.add(str(uuid.uuid4()), VendorDetails(name="V", currency="EUR"))
    number = await uow.purchase_orders.next_number(2026)
    assert await uow.purchase_orders.next_number(2026) != number
    po = PurchaseOrder(
        id=str(uuid.uuid4()),
        number=number,
        vendor_id=vendor.id,
        currency="EUR",
        warehouse="MAIN",
        status=PurchaseOrderStatus.DRAFT,
        lines=[
            PurchaseLine(bolt, D(5), D("0.1234"), expected_date=date(2027, 1, 2)),
            PurchaseLine(nut, D("2.5"), D(1), allow_over_receipt=True),
            PurchaseLine(bolt, D(1), D("0.2")),
        ],
        notes="dock 4",
    )
    stored = await uow.purchase_orders.add(po)
    assert stored.created_at is not None
    assert stored.sent_at is None
    assert replace(stored, created_at=None, updated_at=None) == po
    assert await uow.purchase_orders.incoming([bolt, nut]) == {}  # a draft brings nothing in

    stored.send()
    sent = await uow.purchase_orders.save(stored)
    assert sent.sent_at is not None
    assert await uow.purchase_orders.incoming([bolt, nut]) == {bolt: D(6), nut: D("2.5")}

    sent.receive({bolt: D(5), nut: D(3)})
    receipt_id = str(uuid.uuid4())
    await uow.purchase_orders.add_receipt(
        receipt_id=receipt_id, order=sent, lines={bolt: D(5), nut: D(3)}
    )
    received = await uow.purchase_orders.save(sent)
    assert [line.received for line in received.lines] == [D(5), D(3), D(0)]
    assert received.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert received.sent_at == sent.sent_at
    assert await uow.purchase_orders.incoming([bolt, nut]) == {bolt: D(1)}
    [receipt] = await uow.purchase_orders.receipts(po.id)
    assert (receipt.id, dict(receipt.lines), receipt.warehouse) == (
        receipt_id,
        {bolt: D(5), nut: D(3)},
        "MAIN",
    )

    found, _ = await uow.purchase_orders.page(
        limit=10, after=None, vendor_id=vendor.id, status=PurchaseOrderStatus.PARTIALLY_RECEIVED
    )
    assert [o.id for o in found] == [po.id]
    none, _ = await uow.purchase_orders.page(
        limit=10, after=None, vendor_id=vendor.id, status=PurchaseOrderStatus.DRAFT
    )
    assert none == []
    assert await uow.purchase_orders.get(str(uuid.uuid4())) is None


async def test_returns_keep_their_lines_dispositions_and_what_they_take_back(
    uow: UnitOfWork,
) -> None:
    bolt, nut = await product(uow, "BOLT"), await product(uow, "NUT")
    order_id = code("order")
    await uow.reservations.claim_demand(
        OrderDemand(order_id, None, DemandStatus.RESERVED, correlation_id=None), causation_id=None
    )
    number = await uow.returns.next_number(2026)
    rma = ReturnAuthorisation(
        id=str(uuid.uuid4()),
        number=number,
        order_id=order_id,
        reason="wrong size",
        lines={bolt: D(2), nut: D("0.5")},
    )
    stored = await uow.returns.add(rma)
    assert stored.created_at is not None
    assert replace(stored, created_at=None) == rma
    assert await uow.returns.returned(order_id) == {bolt: D(2), nut: D("0.5")}

    stored.receive({bolt: Disposition.RESTOCK, nut: Disposition.SCRAP}, "nut bent")
    received = await uow.returns.save(stored)
    assert received.received_at is not None
    assert (received.status, received.dispositions, received.note) == (
        ReturnStatus.RECEIVED,
        {bolt: Disposition.RESTOCK, nut: Disposition.SCRAP},
        "nut bent",
    )
    cancelled = await uow.returns.add(
        replace(rma, id=str(uuid.uuid4()), number=await uow.returns.next_number(2026))
    )
    cancelled.cancel()
    await uow.returns.save(cancelled)
    assert await uow.returns.returned(order_id) == {bolt: D(2), nut: D("0.5")}  # not the cancelled
    found, _ = await uow.returns.page(
        limit=10, after=None, order_id=order_id, status=ReturnStatus.RECEIVED
    )
    assert [r.id for r in found] == [rma.id]
    assert await uow.returns.get(str(uuid.uuid4())) is None


async def test_reorder_points_offers_and_what_drafts_bring(uow: UnitOfWork) -> None:
    bolt, nut = await product(uow, "BOLT"), await product(uow, "NUT")
    await uow.reorder_points.set(ReorderPoint(bolt, D(10), D(5)))
    await uow.reorder_points.set(ReorderPoint(bolt, D(12), D("2.5")))  # replaced
    await uow.reorder_points.set(ReorderPoint(nut, D(0), D(1)))
    await uow.reorder_points.lock_drafting()
    mine = [p for p in await uow.reorder_points.all() if p.sku in (bolt, nut)]
    assert mine == [ReorderPoint(bolt, D(12), D("2.5")), ReorderPoint(nut, D(0), D(1))]

    details = VendorDetails(
        name="V", currency="EUR", supplies=(SuppliedProduct(bolt, D("0.25"), 4),)
    )
    vendor = await uow.vendors.add(str(uuid.uuid4()), details)
    assert await uow.vendors.offers([bolt, nut]) == {bolt: [Offer(vendor.id, D("0.25"), 4)]}

    draft = PurchaseOrder(
        id=str(uuid.uuid4()),
        number=await uow.purchase_orders.next_number(2026),
        vendor_id=vendor.id,
        currency="EUR",
        warehouse="MAIN",
        status=PurchaseOrderStatus.DRAFT,
        lines=[PurchaseLine(bolt, D(3), D(1))],
    )
    await uow.purchase_orders.add(draft)
    assert await uow.purchase_orders.incoming([bolt]) == {}
    assert await uow.purchase_orders.incoming([bolt], drafts=True) == {bolt: D(3)}
