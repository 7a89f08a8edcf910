"""Use cases of purchasing: vendors, purchase orders, and receipts that serve backorders.

A receipt increases on-hand in the purchase order's warehouse and, in the same transaction,
reserves for the orders waiting for those SKUs, oldest confirmation first (as a stock receipt
adjustment does). Its locks follow the global order: stock levels first, then the purchase order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from contracts import EventType
from contracts.common import Address
from contracts.events import (
    GoodsReceived,
    PurchaseOrderCancelled,
    PurchaseOrderSent,
)
from contracts.events import PurchaseOrderLine as PurchaseOrderLinePayload
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    AdjustmentKind,
    ItemKind,
    MovementKind,
    aggregate,
    tidy,
)
from inventory.domain.purchasing import (
    CreatePurchaseOrder,
    NotPurchasable,
    PurchaseLine,
    PurchaseLineInput,
    PurchaseOrder,
    PurchaseOrderAction,
    PurchaseOrderStatus,
    Receipt,
    ReceiveGoods,
    ReorderPoint,
    Suggestion,
    UnknownPurchaseOrder,
    UnknownReorderPoint,
    UnknownVendor,
    Vendor,
    VendorDetails,
    points_per_warehouse,
    suggestions,
)
from inventory.domain.records import StockChange
from inventory.domain.warehouses import UnknownWarehouse
from inventory.service_layer.events import command_event, record_level, stock_lines
from inventory.service_layer.locking import with_restarts
from inventory.service_layer.ports import Page, UnitOfWork
from inventory.service_layer.reservations import retry_backorders, skus_to_lock_for_increase

Today = Callable[[], date]

# --- vendors ------------------------------------------------------------------------------------


async def _check_supplies(uow: UnitOfWork, details: VendorDetails) -> None:
    kinds = await uow.products.kinds([item.sku for item in details.supplies])
    for index, item in enumerate(details.supplies):
        _purchasable(f"supplies[{index}].sku", item.sku, kinds.get(item.sku))


def _purchasable(field: str, sku: str, kind: ItemKind | None) -> None:
    if kind is None:
        raise NotPurchasable(field, sku, "no product with this SKU")
    if kind is not ItemKind.PRODUCT:
        raise NotPurchasable(field, sku, "a service is not stocked, so it is not purchased")


async def _active(uow: UnitOfWork, field: str, sku: str) -> None:
    """A withdrawn (inactive) product is no longer bought: 422 naming the line."""
    product = await uow.products.get(sku)
    if product is not None and not product.details.active:
        raise NotPurchasable(field, sku, "the product is inactive, so it is not purchased")


async def create_vendor(uow: UnitOfWork, details: VendorDetails) -> Vendor:
    await _check_supplies(uow, details)
    return await uow.vendors.add(str(uuid.uuid4()), details)


async def replace_vendor(uow: UnitOfWork, vendor_id: str, details: VendorDetails) -> Vendor:
    await _check_supplies(uow, details)
    vendor = await uow.vendors.replace(vendor_id, details)
    if vendor is None:
        raise UnknownVendor(vendor_id)
    return vendor


async def get_vendor(uow: UnitOfWork, vendor_id: str) -> Vendor:
    vendor = await uow.vendors.get(vendor_id)
    if vendor is None:
        raise UnknownVendor(vendor_id)
    return vendor


async def list_vendors(
    uow: UnitOfWork, *, limit: int, after: tuple[str, str] | None = None, text: str | None = None
) -> Page[Vendor]:
    return await uow.vendors.page(limit=limit, after=after, text=text)


# --- purchase orders ----------------------------------------------------------------------------


async def create_purchase_order(
    uow: UnitOfWork, command: CreatePurchaseOrder, *, today: Today = date.today
) -> PurchaseOrder:
    """A draft purchase order; prices and dates the lines leave out come from the vendor."""
    vendor = await uow.vendors.get(command.vendor_id)
    if vendor is None:
        raise NotPurchasable("vendor_id", command.vendor_id, "no vendor with this id")
    kinds = await uow.products.kinds([line.sku for line in command.lines])
    lines = []
    for index, line in enumerate(command.lines):
        _purchasable(f"lines[{index}].sku", line.sku, kinds.get(line.sku))
        await _active(uow, f"lines[{index}].sku", line.sku)
        supplied = vendor.supplied(line.sku)
        unit_price = line.unit_price
        if unit_price is None:
            if supplied is None:
                raise NotPurchasable(
                    f"lines[{index}].unit_price",
                    line.sku,
                    "no unit price given and the vendor has no purchase price for it",
                )
            unit_price = supplied.purchase_price
        expected = line.expected_date or command.expected_date
        if expected is None and supplied is not None:
            expected = today() + timedelta(days=supplied.lead_time_days)
        lines.append(
            PurchaseLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=unit_price,
                expected_date=expected,
                allow_over_receipt=line.allow_over_receipt,
            )
        )
    order = PurchaseOrder(
        id=str(uuid.uuid4()),
        number=await uow.purchase_orders.next_number(today().year),
        vendor_id=vendor.id,
        currency=command.currency or vendor.currency,
        warehouse=command.warehouse or MAIN_WAREHOUSE,
        status=PurchaseOrderStatus.DRAFT,
        lines=lines,
        expected_date=command.expected_date,
        notes=command.notes,
    )
    return await uow.purchase_orders.add(order)


async def get_purchase_order(
    uow: UnitOfWork, purchase_order_id: str, *, for_update: bool = False
) -> PurchaseOrder:
    order = await uow.purchase_orders.get(purchase_order_id, for_update=for_update)
    if order is None:
        raise UnknownPurchaseOrder(purchase_order_id)
    return order


async def list_purchase_orders(
    uow: UnitOfWork,
    *,
    limit: int,
    after: tuple[datetime, str] | None = None,
    vendor_id: str | None = None,
    status: PurchaseOrderStatus | None = None,
) -> Page[PurchaseOrder]:
    return await uow.purchase_orders.page(
        limit=limit, after=after, vendor_id=vendor_id, status=status
    )


async def send_purchase_order(uow: UnitOfWork, action: PurchaseOrderAction) -> PurchaseOrder:
    """draft → sent; records purchase_order.sent with everything its document needs."""
    order = await get_purchase_order(uow, action.purchase_order_id, for_update=True)
    vendor = await get_vendor(uow, order.vendor_id)
    order.send()
    order = await uow.purchase_orders.save(order)
    lines = []
    for line in order.lines:
        product = await uow.products.get(line.sku)
        supplied = vendor.supplied(line.sku)
        lines.append(
            PurchaseOrderLinePayload(
                sku=line.sku,
                quantity=tidy(line.quantity),
                unit_price=line.unit_price,
                expected_date=line.expected_date,
                description=product.name if product is not None else None,
                vendor_sku=supplied.vendor_sku if supplied is not None else None,
            )
        )
    payload = PurchaseOrderSent(
        purchase_order_id=order.id,
        number=order.number,
        vendor_id=vendor.id,
        vendor_name=vendor.name,
        vendor_email=vendor.email,
        vendor_contact=vendor.contact_name,
        vendor_address=Address.model_validate(vendor.address) if vendor.address else None,
        payment_terms_days=vendor.payment_terms_days,
        notes=order.notes,
        currency=order.currency,
        warehouse=order.warehouse,
        expected_date=order.expected_date,
        lines=lines,
        total=order.total,
    )
    await uow.record(
        command_event(EventType.PURCHASE_ORDER_SENT, payload, subject=order.id, by=action)
    )
    return order


async def cancel_purchase_order(uow: UnitOfWork, action: PurchaseOrderAction) -> PurchaseOrder:
    """draft or sent → cancelled, while nothing has been received."""
    order = await get_purchase_order(uow, action.purchase_order_id, for_update=True)
    was_sent = order.status is PurchaseOrderStatus.SENT
    order.cancel()
    order = await uow.purchase_orders.save(order)
    if was_sent:  # the vendor was told of it: tell the others it is off
        payload = PurchaseOrderCancelled(purchase_order_id=order.id, number=order.number)
        await uow.record(
            command_event(EventType.PURCHASE_ORDER_CANCELLED, payload, subject=order.id, by=action)
        )
    return order


async def receive_goods(uow: UnitOfWork, command: ReceiveGoods) -> Receipt:
    """Receive against a purchase order: on-hand grows, backorders are served oldest first.

    Writes a receipt row per SKU in the stock ledger and records goods.received (naming the
    orders it served) and stock.reserved for each of them.
    """
    quantities = aggregate(command.lines)
    first_look = await get_purchase_order(uow, command.purchase_order_id)  # 404 before locks
    warehouse = first_look.warehouse  # the goods go where the purchase order sends them
    for sku in quantities:
        if await uow.products.get(sku) is not None:
            await uow.stock.ensure(sku, warehouse)

    async def attempt(extra: set[str]) -> Receipt:
        locked = set(quantities) | extra
        for sku in quantities:
            locked |= await skus_to_lock_for_increase(uow, sku)
        levels = await uow.stock.lock(locked, warehouse)
        order = await get_purchase_order(uow, command.purchase_order_id, for_update=True)
        received = order.receive(quantities)
        receipt_id = str(uuid.uuid4())
        reason = f"purchase order {order.number} received"
        for sku, amount in received.items():
            level = levels[sku]
            change = level.apply_adjustment(AdjustmentKind.RECEIPT, amount)
            await uow.stock.save(level)
            await record_level(uow, level)
            stock_change = StockChange(MovementKind.RECEIPT, change, Decimal(0), receipt_id, reason)
            await uow.stock.add_movement(level, stock_change)
        order = await uow.purchase_orders.save(order)
        created_at = await uow.purchase_orders.add_receipt(
            receipt_id=receipt_id, order=order, lines=received
        )
        event = command_event(
            EventType.GOODS_RECEIVED,
            GoodsReceived(
                receipt_id=receipt_id,
                purchase_order_id=order.id,
                number=order.number,
                warehouse=order.warehouse,
                lines=stock_lines(received),
                fully_received=order.status is PurchaseOrderStatus.RECEIVED,
            ),
            subject=order.id,
            by=command,
        )
        served = await retry_backorders(
            uow,
            list(received),
            levels,
            locked,
            causation_id=event.id,
            actor=command.actor,
            warehouse=warehouse,
        )
        data = event.data.model_copy(update={"reserved_orders": served})
        await uow.record(event.model_copy(update={"data": data}))
        return Receipt(
            id=receipt_id,
            purchase_order_id=order.id,
            warehouse=order.warehouse,
            lines=received,
            created_at=created_at,
            reserved_orders=tuple(served),
        )

    return await with_restarts(uow, attempt)


async def list_receipts(uow: UnitOfWork, purchase_order_id: str) -> list[Receipt]:
    await get_purchase_order(uow, purchase_order_id)
    return await uow.purchase_orders.receipts(purchase_order_id)


async def incoming(uow: UnitOfWork, sku: str) -> Decimal:
    """What open purchase orders still expect of `sku`."""
    return (await uow.purchase_orders.incoming([sku])).get(sku, Decimal(0))


# --- the suggested purchase list ----------------------------------------------------------------


async def set_reorder_point(uow: UnitOfWork, point: ReorderPoint) -> ReorderPoint:
    """The product's point (`warehouse` None) or the SKU's own in a warehouse; 422 for an
    unknown product, a service or an unknown warehouse (`field` names the query parameter)."""
    kinds = await uow.products.kinds([point.sku])
    _purchasable("sku", point.sku, kinds.get(point.sku))
    if point.warehouse is not None and await uow.warehouses.get(point.warehouse) is None:
        raise UnknownWarehouse(point.warehouse, "query.warehouse")
    await uow.reorder_points.set(point)
    return point


async def remove_reorder_point(uow: UnitOfWork, sku: str, warehouse: str | None) -> None:
    """Drop a point; a warehouse without its own falls back to the product's. 404: none."""
    if not await uow.reorder_points.remove(sku, warehouse):
        raise UnknownReorderPoint(sku, warehouse)


async def list_reorder_points(
    uow: UnitOfWork, *, sku: str | None = None, warehouse: str | None = None
) -> list[ReorderPoint]:
    """The points set (the product's and the warehouses' own), in (SKU, warehouse) order."""
    return [
        point
        for point in await uow.reorder_points.all()
        if (sku is None or point.sku == sku) and (warehouse is None or point.warehouse == warehouse)
    ]


async def suggest_purchases(uow: UnitOfWork) -> list[Suggestion]:
    """Per active warehouse, every active product below its point there (the warehouse's own,
    else the product's: in the default warehouse and wherever the SKU is stocked), counting
    what purchase orders into that warehouse (drafts too) bring."""
    points = []
    for point in await uow.reorder_points.all():  # a withdrawn product is not bought again
        product = await uow.products.get(point.sku)
        if product is None or product.details.active:
            points.append(point)
    skus = sorted({point.sku for point in points})
    active = [w for w in await uow.warehouses.all() if w.active]
    default = next((w.code for w in active if w.is_default), MAIN_WAREHOUSE)
    available: dict[tuple[str, str], Decimal] = {}
    on_order: dict[tuple[str, str], Decimal] = {}
    for warehouse in active:
        for sku in skus:
            level = await uow.stock.get(sku, warehouse.code)
            if level is not None:
                available[warehouse.code, sku] = level.available
        expected = await uow.purchase_orders.incoming(skus, drafts=True, warehouse=warehouse.code)
        on_order.update({(warehouse.code, sku): q for sku, q in expected.items()})
    placed = points_per_warehouse(points, [w.code for w in active], default, set(available))
    return suggestions(placed, available, on_order, await uow.vendors.offers(skus))


async def draft_suggested_purchases(
    uow: UnitOfWork,
    *,
    correlation_id: str | None = None,
    actor: str | None = None,
    today: Today = date.today,
) -> list[PurchaseOrder]:
    """One draft purchase order per vendor and warehouse for the suggestions a vendor supplies
    (the rest stay suggestions), delivered to the warehouse that is short. Asked twice, the
    second finds the drafts on order and drafts nothing."""
    await uow.reorder_points.lock_drafting()
    by_vendor: dict[tuple[str, str], list[PurchaseLineInput]] = {}
    for suggestion in await suggest_purchases(uow):
        if suggestion.offer is not None:
            line = PurchaseLineInput(
                sku=suggestion.sku,
                quantity=suggestion.quantity,
                unit_price=suggestion.offer.purchase_price,
            )
            key = (suggestion.offer.vendor_id, suggestion.warehouse)
            by_vendor.setdefault(key, []).append(line)
    drafts = []
    for vendor_id, warehouse in sorted(by_vendor):
        command = CreatePurchaseOrder(
            vendor_id=vendor_id,
            lines=tuple(by_vendor[vendor_id, warehouse]),
            warehouse=warehouse,
            notes="Drafted from the suggested purchase list",
            correlation_id=correlation_id,
            actor=actor,
        )
        drafts.append(await create_purchase_order(uow, command, today=today))
    return drafts
