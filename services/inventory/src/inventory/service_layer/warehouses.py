"""Use cases of warehouses (create, list, rename, deactivate, reactivate, make the default)
and of transfers between them.

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
from contracts.events import TransferMoved, WarehouseChanged
from inventory.domain.commands import (
    CreateWarehouse,
    ReceiveTransfer,
    TransferStock,
    WarehouseAction,
)
from inventory.domain.model import ItemKind, MovementKind, NotStocked, UnknownProduct, aggregate
from inventory.domain.records import StockChange
from inventory.domain.warehouses import (
    Transfer,
    TransferStatus,
    UnknownWarehouse,
    Warehouse,
    WarehouseRefused,
    deactivation_refusal,
    default_refusal,
    take_for_transfer,
)
from inventory.service_layer.events import Request, command_event, record_level, stock_lines
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


def _changed(warehouse: Warehouse) -> WarehouseChanged:
    return WarehouseChanged(
        code=warehouse.code,
        name=warehouse.name,
        priority=warehouse.priority,
        is_default=warehouse.is_default,
        active=warehouse.active,
    )


async def _announce(uow: UnitOfWork, warehouse: Warehouse, by: Request) -> None:
    """Record warehouse.changed: the warehouse as it now is (keyed by its code)."""
    event = command_event(
        EventType.WAREHOUSE_CHANGED, _changed(warehouse), subject=warehouse.code, by=by
    )
    await uow.record(event, key=warehouse.code)


async def create_warehouse(uow: UnitOfWork, command: CreateWarehouse) -> Warehouse:
    """A new, active warehouse (not the default: `make_default` moves that); records
    warehouse.changed."""
    wanted = Warehouse(code=command.code, name=command.name, priority=command.priority)
    created = await uow.warehouses.add(wanted)
    if created is None:
        raise WarehouseExists(command.code)
    await _announce(uow, created, command)
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


async def _locked(uow: UnitOfWork, code: str) -> Warehouse:
    warehouse = await uow.warehouses.get(code, for_update=True)
    if warehouse is None:
        raise WarehouseNotFound(code)
    return warehouse


async def update_warehouse(
    uow: UnitOfWork,
    code: str,
    *,
    name: str | None = None,
    priority: int | None = None,
    by: Request | None = None,
) -> Warehouse:
    """Rename a warehouse or change its place in the reservation rule (`priority`); records
    warehouse.changed (an empty change announces the warehouse as it is)."""
    warehouse = await _locked(uow, code)
    if name is not None:
        warehouse.name = name
    if priority is not None:
        warehouse.priority = priority
    await uow.warehouses.save(warehouse)
    await _announce(uow, warehouse, by or WarehouseAction(code=code))
    return warehouse


async def deactivate_warehouse(
    uow: UnitOfWork, code: str, *, by: Request | None = None
) -> Warehouse:
    """No more reservations, receipts or transfers in it. Refused (409) while it holds stock
    (on hand or reserved) or transfers are on their way to it, for the default warehouse, and
    when it is inactive already."""
    warehouse = await _locked(uow, code)
    refusal = deactivation_refusal(
        warehouse, await uow.stock.held_in(code), await uow.transfers.in_transit_to(code)
    )
    return await _activate(uow, warehouse, False, refusal, by)


async def reactivate_warehouse(
    uow: UnitOfWork, code: str, *, by: Request | None = None
) -> Warehouse:
    """A deactivated warehouse takes part again (reservations, receipts, transfers); 409 when
    it is active already."""
    warehouse = await _locked(uow, code)
    refusal = "it is active already" if warehouse.active else None
    return await _activate(uow, warehouse, True, refusal, by)


async def _activate(
    uow: UnitOfWork, warehouse: Warehouse, active: bool, refusal: str | None, by: Request | None
) -> Warehouse:
    """Save and announce `warehouse` (de)activated, unless refused (409, nothing changes)."""
    if refusal:
        raise WarehouseRefused(warehouse.code, refusal)
    warehouse.active = active
    await uow.warehouses.save(warehouse)
    await _announce(uow, warehouse, by or WarehouseAction(code=warehouse.code))
    return warehouse


async def make_default(uow: UnitOfWork, code: str, *, by: Request | None = None) -> Warehouse:
    """`code` becomes the default warehouse (tried first by the reservation rule) and the old
    default an ordinary one: exactly one default, moved in one transaction (every warehouse row
    is locked, in code order, so two moves at once queue). 409 for an inactive warehouse; the
    default already: nothing changes, nothing is recorded."""
    found = {w.code: w for w in await uow.warehouses.lock_all()}
    warehouse = found.get(code)
    if warehouse is None:
        raise WarehouseNotFound(code)
    if warehouse.is_default:
        return warehouse
    refusal = default_refusal(warehouse)
    if refusal is not None:
        raise WarehouseRefused(code, refusal)
    action = by or WarehouseAction(code=code)
    for old in [w for w in found.values() if w.is_default]:
        old.is_default = False  # first: at most one default at any moment (a unique index)
        await uow.warehouses.save(old)
        await _announce(uow, old, action)
    warehouse.is_default = True
    await uow.warehouses.save(warehouse)
    await _announce(uow, warehouse, action)
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
