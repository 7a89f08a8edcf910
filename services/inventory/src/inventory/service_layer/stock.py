"""Use cases of stock levels: adjustments (receipts, damage, loss, counts) and the ledger."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal

from contracts import EventType
from contracts.events import AdjustmentKind as AdjustmentKindPayload
from contracts.events import StockAdjusted
from inventory.domain.commands import AdjustStock
from inventory.domain.model import (
    MAIN_WAREHOUSE,
    AdjustmentKind,
    ItemKind,
    MovementKind,
    NotStocked,
    StockLevel,
    UnknownProduct,
    tidy,
)
from inventory.domain.records import (
    Adjustment,
    Movement,
    StockChange,
    StockFilter,
    StockOverviewRow,
)
from inventory.domain.warehouses import UnknownWarehouse, WarehouseRefused
from inventory.service_layer.events import command_event, record_level
from inventory.service_layer.locking import with_restarts
from inventory.service_layer.ports import Page, UnitOfWork
from inventory.service_layer.reservations import retry_backorders, skus_to_lock_for_increase


async def _known_product(uow: UnitOfWork, sku: str) -> ItemKind:
    product = await uow.products.get(sku)
    if product is None:
        raise UnknownProduct(sku)
    return product.kind


async def _stocked_product(uow: UnitOfWork, sku: str) -> None:
    if await _known_product(uow, sku) is not ItemKind.PRODUCT:
        raise NotStocked(sku)


async def adjust_stock(uow: UnitOfWork, command: AdjustStock) -> Adjustment:
    """Receive, write off or count stock; records stock.adjusted.

    When on_hand grows, the orders backordered on this SKU are retried, oldest first, in this
    same transaction (each one reserved records stock.reserved).
    """
    sku, kind, quantity, warehouse = command.sku, command.kind, command.quantity, command.warehouse
    await _stocked_product(uow, sku)
    await _usable(uow, warehouse)
    await uow.stock.ensure(sku, warehouse)
    may_increase = kind in (AdjustmentKind.RECEIPT, AdjustmentKind.COUNT_CORRECTION)

    async def attempt(extra: set[str]) -> Adjustment:
        locked = {sku}
        if may_increase:
            locked |= extra | await skus_to_lock_for_increase(uow, sku)
        levels = await uow.stock.lock(locked, warehouse)
        level = levels[sku]
        change = level.apply_adjustment(kind, quantity)
        adjustment_id = str(uuid.uuid4())
        await uow.stock.save(level)
        await record_level(uow, level)
        movement = MovementKind(kind.value)
        stock_change = StockChange(movement, change, Decimal(0), adjustment_id, command.reason)
        await uow.stock.add_movement(level, stock_change)
        event = command_event(
            EventType.STOCK_ADJUSTED,
            StockAdjusted(
                adjustment_id=adjustment_id,
                sku=sku,
                kind=AdjustmentKindPayload(kind.value),
                quantity_change=tidy(change),
                on_hand=tidy(level.on_hand),
                reason=command.reason,
            ),
            subject=sku,
            by=command,
        )
        await uow.record(event, key=sku)
        reserved_orders: list[str] = []
        if change > 0:
            reserved_orders = await retry_backorders(
                uow,
                [sku],
                levels,
                locked,
                causation_id=event.id,
                actor=command.actor,
                warehouse=warehouse,
            )
        created_at = await uow.adjustments.add(level, stock_change, quantity=quantity)
        return Adjustment(
            id=adjustment_id,
            sku=sku,
            kind=kind,
            quantity_change=change,
            on_hand=level.on_hand,
            reserved=level.reserved,
            reason=command.reason,
            created_at=created_at,
            reserved_orders=tuple(reserved_orders),
        )

    return await with_restarts(uow, attempt)


async def _usable(uow: UnitOfWork, warehouse: str) -> None:
    """Stock moves only in a known, active warehouse (422 / 409 otherwise)."""
    found = await uow.warehouses.get(warehouse)
    if found is None:
        raise UnknownWarehouse(warehouse)
    if not found.active:
        raise WarehouseRefused(warehouse, "it is inactive")


async def _known_warehouse(uow: UnitOfWork, warehouse: str) -> None:
    if warehouse != MAIN_WAREHOUSE and await uow.warehouses.get(warehouse) is None:
        raise UnknownWarehouse(warehouse)


async def get_stock(uow: UnitOfWork, sku: str, warehouse: str = MAIN_WAREHOUSE) -> StockLevel:
    """The level of a stocked product in a warehouse (all zeros before its first receipt)."""
    await _stocked_product(uow, sku)
    await _known_warehouse(uow, warehouse)
    level = await uow.stock.get(sku, warehouse)
    return level or StockLevel(
        sku=sku, on_hand=Decimal(0), reserved=Decimal(0), warehouse=warehouse
    )


async def list_movements(
    uow: UnitOfWork,
    sku: str,
    *,
    limit: int,
    after_id: int | None = None,
    warehouse: str = MAIN_WAREHOUSE,
) -> Page[Movement]:
    """The ledger of one SKU in a warehouse, oldest first; the page and whether more follow."""
    await _known_product(uow, sku)
    await _known_warehouse(uow, warehouse)
    return await uow.stock.movements(sku, limit=limit, after_id=after_id, warehouse=warehouse)


async def overview(
    uow: UnitOfWork, where: StockFilter, *, limit: int, after: tuple[str, str] | None = None
) -> Page[StockOverviewRow]:
    """Stock at a glance: every stocked product per warehouse, in (SKU, warehouse) order, with
    what open purchase orders still expect into that warehouse as `incoming`."""
    found, more = await uow.stock_overview.page(where, limit=limit, after=after)
    expected = {
        warehouse: await uow.purchase_orders.incoming(
            {row.sku for row in found if row.warehouse == warehouse}, warehouse=warehouse
        )
        for warehouse in sorted({row.warehouse for row in found})
    }
    rows = [
        dataclasses.replace(row, incoming=expected[row.warehouse].get(row.sku, Decimal(0)))
        for row in found
    ]
    return rows, more
