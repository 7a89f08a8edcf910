"""Use cases of customers' returns (RMA): authorise against what shipped, receive, cancel.

Receiving a return restocks its `restock` lines (back on hand, and offered to the orders waiting
for them) and writes off its `scrap` lines in the ledger, then records return.received, on which
billing credits the returned lines. Locks: stock levels first, then the order demand, then the
return, as everywhere (`service_layer.locking`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from contracts import EventType
from contracts.events import ReturnAuthorised, ReturnDisposition, ReturnedLine, ReturnReceived
from inventory.domain.model import MAIN_WAREHOUSE, AdjustmentKind, MovementKind, aggregate, tidy
from inventory.domain.records import StockChange
from inventory.domain.returns import (
    AuthoriseReturn,
    Disposition,
    ReceiveReturn,
    ReturnAuthorisation,
    ReturnStatus,
    UnknownReturn,
    check_returnable,
)
from inventory.service_layer.events import command_event, record_level, stock_lines
from inventory.service_layer.locking import with_restarts
from inventory.service_layer.ports import Page, UnitOfWork
from inventory.service_layer.reservations import retry_backorders, skus_to_lock_for_increase

Today = Callable[[], date]


async def authorise_return(
    uow: UnitOfWork, command: AuthoriseReturn, *, today: Today = date.today
) -> ReturnAuthorisation:
    """A return of shipped goods; 409 for more than shipped minus already returned."""
    requested = aggregate(command.lines)
    # The order's demand row serialises the returns of one order: two at once cannot both take
    # the last returnable unit.
    await uow.reservations.lock_demand(command.order_id)
    held = await uow.reservations.lines(command.order_id)
    shipped = {sku: line.shipped for sku, line in held.items()}
    check_returnable(requested, shipped, await uow.returns.returned(command.order_id))
    rma = ReturnAuthorisation(
        id=str(uuid.uuid4()),
        number=await uow.returns.next_number(today().year),
        order_id=command.order_id,
        reason=command.reason,
        lines=requested,
    )
    rma = await uow.returns.add(rma)
    payload = ReturnAuthorised(
        return_id=rma.id,
        number=rma.number,
        order_id=rma.order_id,
        reason=rma.reason,
        lines=stock_lines(rma.lines),
    )
    await uow.record(
        command_event(EventType.RETURN_AUTHORISED, payload, subject=rma.order_id, by=command)
    )
    return rma


async def get_return(
    uow: UnitOfWork, return_id: str, *, for_update: bool = False
) -> ReturnAuthorisation:
    rma = await uow.returns.get(return_id, for_update=for_update)
    if rma is None:
        raise UnknownReturn(return_id)
    return rma


async def list_returns(
    uow: UnitOfWork,
    *,
    limit: int,
    after: tuple[datetime, str] | None = None,
    order_id: str | None = None,
    status: ReturnStatus | None = None,
) -> Page[ReturnAuthorisation]:
    return await uow.returns.page(limit=limit, after=after, order_id=order_id, status=status)


async def cancel_return(uow: UnitOfWork, return_id: str) -> ReturnAuthorisation:
    """An authorised return that will not come: what it held becomes returnable again."""
    rma = await get_return(uow, return_id, for_update=True)
    rma.cancel()
    return await uow.returns.save(rma)


async def receive_return(uow: UnitOfWork, command: ReceiveReturn) -> ReturnAuthorisation:
    """The goods came back: restock or scrap each line; records return.received."""
    first_look = await get_return(uow, command.return_id)
    # The goods go back to the warehouse the order's line was reserved (and shipped) in.
    held = await uow.reservations.lines(first_look.order_id)
    where = {
        sku: held[sku].warehouse if sku in held else MAIN_WAREHOUSE for sku in first_look.lines
    }
    for sku in first_look.lines:
        await uow.stock.ensure(sku, where[sku])  # a scrapped line's ledger row needs it too
    dispositions = dict(command.dispositions)

    async def attempt(extra: set[str]) -> ReturnAuthorisation:
        locked = set(first_look.lines) | extra
        for sku, disposition in dispositions.items():
            if disposition is Disposition.RESTOCK:
                locked |= await skus_to_lock_for_increase(uow, sku)
        places = set(where.values())
        locked_in = await uow.stock.lock_in((w, sku) for w in places for sku in locked)
        levels = {sku: locked_in[(where[sku], sku)] for sku in first_look.lines}
        rma = await get_return(uow, command.return_id, for_update=True)
        rma.receive(dispositions, command.note)
        reason = f"return {rma.number}: {rma.reason}"
        for sku, amount in rma.lines.items():
            level = levels[sku]
            if rma.dispositions and rma.dispositions[sku] is Disposition.RESTOCK:
                change = level.apply_adjustment(AdjustmentKind.RECEIPT, amount)
                movement = StockChange(MovementKind.RETURN, change, Decimal(0), rma.id, reason)
            else:  # written off as it arrives: on hand never held it again
                why = f"{reason} (scrapped: {command.note})" if command.note else reason
                movement = StockChange(MovementKind.SCRAP, Decimal(0), Decimal(0), rma.id, why)
            await uow.stock.save(level)
            if movement.on_hand_change:
                await record_level(uow, level)
            await uow.stock.add_movement(level, movement)
        rma = await uow.returns.save(rma)
        event = command_event(
            EventType.RETURN_RECEIVED,
            ReturnReceived(
                return_id=rma.id,
                number=rma.number,
                order_id=rma.order_id,
                reason=rma.reason,
                note=rma.note,
                lines=[
                    ReturnedLine(
                        sku=sku,
                        quantity=tidy(quantity),
                        disposition=ReturnDisposition((rma.dispositions or {})[sku].value),
                    )
                    for sku, quantity in sorted(rma.lines.items())
                ],
            ),
            subject=rma.order_id,
            by=command,
        )
        restocked = rma.restocked()
        served: list[str] = []
        for warehouse in sorted(places):
            here = [sku for sku in restocked if where[sku] == warehouse]
            if here:
                served += await retry_backorders(
                    uow,
                    here,
                    {sku: lv for (w, sku), lv in locked_in.items() if w == warehouse},
                    locked,
                    causation_id=event.id,
                    actor=command.actor,
                    warehouse=warehouse,
                )
        data = event.data.model_copy(update={"reserved_orders": served})
        await uow.record(event.model_copy(update={"data": data}))
        return rma

    return await with_restarts(uow, attempt)
