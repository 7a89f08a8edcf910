"""Returns on the in-memory unit of work: never more than shipped minus returned; receiving
restocks (serving waiting orders) or scraps (ledger only); the events billing and orders read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from purchasing_builders import confirmed

from contracts import EventType
from inventory.domain.commands import AdjustStock, DispatchShipment, UpsertProduct
from inventory.domain.model import AdjustmentKind, ItemKind, MovementKind
from inventory.domain.returns import (
    AuthoriseReturn,
    Disposition,
    DispositionMismatch,
    ReceiveReturn,
    ReturnExceedsShipped,
    ReturnStateError,
    ReturnStatus,
)
from inventory.service_layer import catalogue, reservations, returns, shipments, stock

D = Decimal


async def shipped_order(uow: Any, order_id: str, sku: str, *, on_hand: str, ship: str) -> None:
    """`sku` with `on_hand` in stock, an order of `ship` of it, reserved and shipped."""
    await catalogue.upsert_product(uow, UpsertProduct(sku=sku, name=sku, kind=ItemKind.PRODUCT))
    await stock.adjust_stock(
        uow, AdjustStock(sku=sku, kind=AdjustmentKind.RECEIPT, quantity=D(on_hand), reason="in")
    )
    await reservations.reserve_order(uow, confirmed(order_id, sku, ship))
    await shipments.dispatch_shipment(
        uow, DispatchShipment(order_id=order_id, lines=((sku, D(ship)),))
    )


def authorise(order_id: str, quantity: str, sku: str = "BOLT") -> AuthoriseReturn:
    return AuthoriseReturn(order_id=order_id, lines=((sku, D(quantity)),), reason="damaged")


async def test_never_more_than_shipped_minus_returned(fake_uow: Any) -> None:
    await shipped_order(fake_uow, "o-1", "BOLT", on_hand="10", ship="5")
    first = await returns.authorise_return(fake_uow, authorise("o-1", "3"))
    assert (first.number, first.status, first.lines) == (
        first.number,
        ReturnStatus.AUTHORISED,
        {"BOLT": D(3)},
    )
    assert first.number.startswith("RMA-")
    with pytest.raises(ReturnExceedsShipped, match="only 2 was shipped and not yet returned"):
        await returns.authorise_return(fake_uow, authorise("o-1", "2.5"))
    with pytest.raises(ReturnExceedsShipped):
        await returns.authorise_return(fake_uow, authorise("o-1", "1", sku="NUT"))
    with pytest.raises(ReturnExceedsShipped):
        await returns.authorise_return(fake_uow, authorise("never-shipped", "1"))
    await returns.cancel_return(fake_uow, first.id)  # what it held is returnable again
    again = await returns.authorise_return(fake_uow, authorise("o-1", "5"))
    assert again.lines == {"BOLT": D(5)}
    [authorised, _] = [e for e in fake_uow.events if e.type == EventType.RETURN_AUTHORISED]
    assert (authorised.subject, authorised.data.number) == ("o-1", first.number)


async def test_a_restocked_return_serves_the_waiting_order_and_a_scrapped_one_only_the_ledger(
    fake_uow: Any,
) -> None:
    await shipped_order(fake_uow, "o-1", "BOLT", on_hand="4", ship="4")
    await reservations.reserve_order(fake_uow, confirmed("waiting", "BOLT", "2"))  # backordered
    rma = await returns.authorise_return(fake_uow, authorise("o-1", "3"))

    with pytest.raises(DispositionMismatch, match="NUT not on the return"):
        await returns.receive_return(
            fake_uow,
            ReceiveReturn(
                return_id=rma.id,
                dispositions=(("BOLT", Disposition.RESTOCK), ("NUT", Disposition.RESTOCK)),
            ),
        )
    received = await returns.receive_return(
        fake_uow, ReceiveReturn(return_id=rma.id, dispositions=(("BOLT", Disposition.RESTOCK),))
    )
    assert received.status is ReturnStatus.RECEIVED
    level = await stock.get_stock(fake_uow, "BOLT")
    assert (level.on_hand, level.reserved) == (D(3), D(2))  # back on hand; the waiting order took 2
    [event] = [e for e in fake_uow.events if e.type == EventType.RETURN_RECEIVED]
    assert (event.subject, event.data.reserved_orders) == ("o-1", ["waiting"])
    assert [(line.sku, line.quantity, line.disposition.value) for line in event.data.lines] == [
        ("BOLT", D(3), "restock")
    ]
    with pytest.raises(ReturnStateError):
        await returns.cancel_return(fake_uow, rma.id)

    scrap = await returns.authorise_return(fake_uow, authorise("o-1", "1"))
    await returns.receive_return(
        fake_uow,
        ReceiveReturn(
            return_id=scrap.id, dispositions=(("BOLT", Disposition.SCRAP),), note="crushed"
        ),
    )
    after = await stock.get_stock(fake_uow, "BOLT")
    assert (after.on_hand, after.reserved) == (D(3), D(2))  # on hand unchanged
    ledger, _ = await stock.list_movements(fake_uow, "BOLT", limit=50)
    [scrapped] = [m for m in ledger if m.kind is MovementKind.SCRAP]
    assert (scrapped.on_hand_change, scrapped.reference) == (D(0), scrap.id)
    assert scrapped.reason is not None
    assert "crushed" in scrapped.reason
    [restocked] = [m for m in ledger if m.kind is MovementKind.RETURN]
    assert (restocked.on_hand_change, restocked.reference) == (D(3), rma.id)
    with pytest.raises(ReturnExceedsShipped):  # all 4 shipped are now returned
        await returns.authorise_return(fake_uow, authorise("o-1", "0.001"))
