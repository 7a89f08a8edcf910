"""Use cases of warehouses (create, list, deactivate) and of transfers between them.

A transfer takes the stock out of the source warehouse when it is dispatched (a transfer_out
ledger row; it is in transit, on hand nowhere) and puts it on hand at the destination when it
is received (a transfer_in row), where the orders waiting for it are then reserved.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from contracts import EventType
from contracts.events import TransferMoved
from inventory.domain.commands import CreateWarehouse, ReceiveTransfer, TransferStock
from inventory.domain.model import ItemKind, MovementKind, NotStocked, UnknownProduct, aggregate
from inventory.domain.records import StockChange
from inventory.domain.warehouses import (
    Transfer,
    TransferStatus,
    UnknownWarehouse,
    Warehouse,
    WarehouseRefused,
    deactivation_refusal,
    take_for_transfer,
)
from inventory.service_layer.events import command_event, record_level, stock_lines
from inventory.service_layer.locking import with_restarts
from inventory.service_layer.ports import Page, UnitOfWork
from inventory.service_layer.reservations import retry_backorders, skus_to_lock_for_increase


class WarehouseExists(WarehouseRefused):
    def __init__(self, code: str) -> None:
        super().__init__(code, "a warehouse with this code exists already")


class UnknownTransfer(LookupError):
    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"no transfer {transfer_id!r}")


class WarehouseNotFound(LookupError):
    """The warehouse a path names does not exist (404; a body naming one gets 422)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no warehouse {code!r}")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def create_warehouse(uow: UnitOfWork, command: CreateWarehouse) -> Warehouse:
    """A new, active warehouse (never the default: that is the one existing stock lives in)."""
    wanted = Warehouse(code=command.code, name=command.name, priority=command.priority)
    created = await uow.warehouses.add(wanted)
    if created is None:
        raise WarehouseExists(command.code)
    return created


async def list_warehouses(uow: UnitOfWork) -> list[Warehouse]:
    """Every warehouse, in the order the reservation rule tries them (inactive ones last)."""
    found = await uow.warehouses.all()
    return sorted(found, key=lambda w: (not w.active, not w.is_default, w.priority, w.code))


async def find_warehouse(uow: UnitOfWork, code: str) -> Warehouse:
    found = await uow.warehouses.get(code)
    if found is None:
        raise WarehouseNotFound(code)
    return found


async def get_warehouse(uow: UnitOfWork, code: str, field: str = "warehouse") -> Warehouse:
    found = await uow.warehouses.get(code)
    if found is None:
        raise UnknownWarehouse(code, field)
    return found


async def active_warehouse(uow: UnitOfWork, code: str, field: str = "warehouse") -> Warehouse:
    """The warehouse stock may move in or out of: it exists and is active."""
    found = await get_warehouse(uow, code, field)
    if not found.active:
        raise WarehouseRefused(code, "it is inactive")
    return found


async def update_warehouse(
    uow: UnitOfWork, code: str, *, name: str | None = None, priority: int | None = None
) -> Warehouse:
    """Rename a warehouse or change its place in the reservation rule (`priority`)."""
    warehouse = await uow.warehouses.get(code, for_update=True)
    if warehouse is None:
        raise WarehouseNotFound(code)
    if name is not None:
        warehouse.name = name
    if priority is not None:
        warehouse.priority = priority
    await uow.warehouses.save(warehouse)
    return warehouse


async def deactivate_warehouse(uow: UnitOfWork, code: str) -> Warehouse:
    """No more reservations, receipts or transfers in it. Refused (409) while it holds stock
    (on hand or reserved) and for the default warehouse."""
    warehouse = await uow.warehouses.get(code, for_update=True)
    if warehouse is None:
        raise WarehouseNotFound(code)
    refusal = deactivation_refusal(warehouse, await uow.stock.held_in(code))
    if refusal is not None:
        raise WarehouseRefused(code, refusal)
    warehouse.active = False
    await uow.warehouses.save(warehouse)
    return warehouse


# --- transfers ----------------------------------------------------------------------------------


async def _stocked(uow: UnitOfWork, sku: str) -> None:
    product = await uow.products.get(sku)
    if product is None:
        raise UnknownProduct(sku)
    if product.kind is not ItemKind.PRODUCT:
        raise NotStocked(sku)


def _moved(transfer: Transfer) -> TransferMoved:
    return TransferMoved(
        transfer_id=transfer.id,
        from_warehouse=transfer.from_warehouse,
        to_warehouse=transfer.to_warehouse,
        lines=stock_lines(transfer.lines),
    )


async def transfer_stock(uow: UnitOfWork, command: TransferStock) -> Transfer:
    """Send stock to another warehouse; records transfer.dispatched. More than is available
    in the source (on hand and not reserved) → refused (409), nothing changes."""
    if command.from_warehouse == command.to_warehouse:
        raise WarehouseRefused(command.to_warehouse, "a transfer needs two warehouses")
    await active_warehouse(uow, command.from_warehouse, "from_warehouse")
    await active_warehouse(uow, command.to_warehouse, "to_warehouse")
    lines = aggregate(command.lines)
    for sku in lines:
        await _stocked(uow, sku)
    levels = await uow.stock.lock(lines, command.from_warehouse)
    take_for_transfer(levels, lines)
    transfer = Transfer(
        id=str(uuid.uuid4()),
        from_warehouse=command.from_warehouse,
        to_warehouse=command.to_warehouse,
        lines=lines,
        note=command.note,
    )
    transfer.created_at = await uow.transfers.add(transfer)
    reason = f"transfer {transfer.id} to {transfer.to_warehouse}"
    for sku, amount in lines.items():
        level = levels[sku]
        await uow.stock.save(level)
        await record_level(uow, level)
        change = StockChange(MovementKind.TRANSFER_OUT, -amount, Decimal(0), transfer.id, reason)
        await uow.stock.add_movement(level, change)
    event = command_event(
        EventType.TRANSFER_DISPATCHED, _moved(transfer), subject=transfer.id, by=command
    )
    await uow.record(event)
    return transfer


async def receive_transfer(uow: UnitOfWork, command: ReceiveTransfer) -> Transfer:
    """The transfer arrived: its stock is on hand at the destination; records
    transfer.received and reserves for the orders waiting for it there. 409 when it was
    received already."""
    transfer = await uow.transfers.get(command.transfer_id, for_update=True)
    if transfer is None:
        raise UnknownTransfer(command.transfer_id)
    dataclasses.replace(transfer).receive(utcnow())  # refused (409) unless in transit
    destination = transfer.to_warehouse
    for sku in transfer.lines:
        await uow.stock.ensure(sku, destination)
    now = utcnow()

    async def attempt(extra: set[str]) -> Transfer:
        locked = set(transfer.lines) | extra
        for sku in transfer.lines:
            locked |= await skus_to_lock_for_increase(uow, sku)
        levels = await uow.stock.lock(locked, destination)
        reason = f"transfer {transfer.id} from {transfer.from_warehouse}"
        for sku, amount in transfer.lines.items():
            level = levels[sku]
            level.on_hand += amount
            await uow.stock.save(level)
            await record_level(uow, level)
            change = StockChange(MovementKind.TRANSFER_IN, amount, Decimal(0), transfer.id, reason)
            await uow.stock.add_movement(level, change)
        received = dataclasses.replace(transfer)
        received.receive(now)
        await uow.transfers.save(received)
        event = command_event(
            EventType.TRANSFER_RECEIVED, _moved(received), subject=received.id, by=command
        )
        await uow.record(event)
        await retry_backorders(
            uow,
            list(transfer.lines),
            levels,
            locked,
            causation_id=event.id,
            actor=command.actor,
            warehouse=destination,
        )
        return received

    return await with_restarts(uow, attempt)


async def get_transfer(uow: UnitOfWork, transfer_id: str) -> Transfer:
    found = await uow.transfers.get(transfer_id)
    if found is None:
        raise UnknownTransfer(transfer_id)
    return found


async def list_transfers(
    uow: UnitOfWork,
    *,
    limit: int,
    status: TransferStatus | None = None,
    after: tuple[datetime, str] | None = None,
) -> Page[Transfer]:
    """Transfers oldest first (creation time, then id)."""
    return await uow.transfers.page(
        limit=limit, status=status.value if status is not None else None, after=after
    )
