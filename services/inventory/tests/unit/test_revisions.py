"""A revised order on the in-memory unit of work: only the difference is reserved or released,
an increase that does not fit waits for stock, and each revision applies once, forwards."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from inventory_builders import cancellation, confirmation, level, product, receipt, types

from contracts import CloudEvent, EventType
from contracts.events import OrderRevised
from inventory.domain.commands import DispatchShipment
from inventory.domain.model import LineStatus, MovementKind
from inventory.service_layer import reservations, revisions, shipments, stock
from servicekit.testing import from_orders

D = Decimal
CHANGED = EventType.STOCK_RESERVATION_CHANGED.value


def revised(confirmed: CloudEvent[Any], revision: int, *lines: tuple[str, str]) -> CloudEvent[Any]:
    """suite.order.revised.v1 of the confirmed order with these (sku, quantity) product lines."""
    order = confirmed.data.order
    template = order.lines[0]
    new_lines = [
        template.model_copy(update={"line_no": n, "sku": sku, "quantity": D(q)})
        for n, (sku, q) in enumerate(lines, start=1)
    ]
    content = order.model_copy(update={"lines": new_lines})
    payload = OrderRevised(order=content, revision=revision)
    return from_orders(EventType.ORDER_REVISED, payload, order.order_id)


def lines_of(event: CloudEvent[Any], name: str) -> dict[str, Decimal]:
    return {line.sku: line.quantity for line in getattr(event.data, name)}


async def test_a_revision_up_reserves_the_difference_and_down_releases_it(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "10")
    await product(fake_uow, "NUT", "10")
    order = confirmation(("BOLT", "3"), ("NUT", "2"))
    await reservations.reserve_order(fake_uow, order)

    up = await revisions.revise_reservation(
        fake_uow, revised(order, 1, ("BOLT", "7"), ("NUT", "2"))
    )
    assert up is not None
    assert (lines_of_payload(up.reserved), up.released, up.waiting) == ({"BOLT": D(4)}, [], [])
    assert up.fully_reserved
    assert await level(fake_uow, "BOLT") == (D(10), D(7))

    down = await revisions.revise_reservation(fake_uow, revised(order, 2, ("BOLT", "1")))
    assert down is not None
    assert lines_of_payload(down.released) == {"BOLT": D(6), "NUT": D(2)}
    assert await level(fake_uow, "BOLT") == (D(10), D(1))
    assert await level(fake_uow, "NUT") == (D(10), D(0))
    held = await fake_uow.reservations.lines(str(order.subject))
    assert (held["BOLT"].quantity, held["BOLT"].status) == (D(1), LineStatus.RESERVED)
    assert held["NUT"].status is LineStatus.RELEASED
    assert types(fake_uow, order.subject)[-2:] == [CHANGED, CHANGED]

    # An older revision (replayed) and the same one again change nothing.
    assert await revisions.revise_reservation(fake_uow, revised(order, 1, ("BOLT", "7"))) is None
    again = revised(order, 2, ("BOLT", "1")).model_copy(update={"id": str(uuid.uuid4())})
    assert await revisions.revise_reservation(fake_uow, again) is None
    assert await level(fake_uow, "BOLT") == (D(10), D(1))


def lines_of_payload(lines: list[Any]) -> dict[str, Decimal]:
    return {line.sku: line.quantity for line in lines}


async def test_an_increase_that_does_not_fit_waits_until_stock_arrives(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "5")
    await product(fake_uow, "NUT", "5")
    order = confirmation(("BOLT", "4"))
    await reservations.reserve_order(fake_uow, order)

    short = await revisions.revise_reservation(
        fake_uow, revised(order, 1, ("BOLT", "8"), ("NUT", "1"))
    )
    assert short is not None
    assert lines_of_payload(short.reserved) == {"NUT": D(1)}
    assert lines_of_payload(short.waiting) == {"BOLT": D(4)}
    assert not short.fully_reserved
    assert await level(fake_uow, "BOLT") == (D(5), D(4))  # the increase waits whole

    # Shipping what is reserved does not make the order fully shipped while part waits.
    shipment = await shipments.dispatch_shipment(
        fake_uow,
        DispatchShipment(order_id=str(order.subject), lines=[("BOLT", D(4)), ("NUT", D(1))]),
    )
    assert not shipment.fully_shipped

    await stock.adjust_stock(fake_uow, receipt("BOLT", "3"))  # 4 available: enough
    served = fake_uow.events[-1]
    assert served.type == CHANGED
    assert served.data.revision is None
    assert lines_of(served, "reserved") == {"BOLT": D(4)}
    assert served.data.fully_reserved
    held = await fake_uow.reservations.lines(str(order.subject))
    assert (held["BOLT"].quantity, held["BOLT"].shipped) == (D(8), D(4))
    assert await fake_uow.revisions.waits(str(order.subject)) == {}


async def test_waits_served_by_one_receipt_each_tell_their_own_balance(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "4")
    first, second = confirmation(("BOLT", "2")), confirmation(("BOLT", "2"))
    for order in (first, second):
        await reservations.reserve_order(fake_uow, order)
    for order in (first, second):  # 3 more each: both wait
        await revisions.revise_reservation(fake_uow, revised(order, 1, ("BOLT", "5")))

    await stock.adjust_stock(fake_uow, receipt("BOLT", "6"))

    served = [m for m in fake_uow.stock.ledger if m.kind is MovementKind.RESERVATION][-2:]
    assert [(m.order_id, m.reserved_change, m.reserved) for m in served] == [
        (first.subject, D(3), D(7)),
        (second.subject, D(3), D(10)),
    ]
    assert await level(fake_uow, "BOLT") == (D(10), D(10))


async def test_a_decrease_cuts_the_wait_first_and_cancelling_drops_it(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "2")
    order = confirmation(("BOLT", "2"))
    await reservations.reserve_order(fake_uow, order)
    await revisions.revise_reservation(fake_uow, revised(order, 1, ("BOLT", "9")))
    cut = await revisions.revise_reservation(fake_uow, revised(order, 2, ("BOLT", "5")))
    assert cut is not None
    assert (cut.released, lines_of_payload(cut.waiting)) == ([], {"BOLT": D(3)})
    assert await level(fake_uow, "BOLT") == (D(2), D(2))

    await reservations.release_order(fake_uow, cancellation(order))
    assert await fake_uow.revisions.waits(str(order.subject)) == {}
    await stock.adjust_stock(fake_uow, receipt("BOLT", "5"))
    assert await level(fake_uow, "BOLT") == (D(7), D(0))  # nothing reserved for it any more


async def test_a_backordered_order_waits_with_its_new_demand_or_is_reserved(
    fake_uow: Any,
) -> None:
    await product(fake_uow, "BOLT", "3")
    order = confirmation(("BOLT", "5"))
    await reservations.reserve_order(fake_uow, order)  # backordered
    fits = await revisions.revise_reservation(fake_uow, revised(order, 1, ("BOLT", "3")))
    assert fits is not None
    assert fits.fully_reserved
    assert lines_of_payload(fits.reserved) == {"BOLT": D(3)}
    assert await level(fake_uow, "BOLT") == (D(3), D(3))


async def test_released_stock_serves_the_orders_waiting_for_it(fake_uow: Any) -> None:
    await product(fake_uow, "BOLT", "6")
    first, waiting = confirmation(("BOLT", "6")), confirmation(("BOLT", "2"))
    await reservations.reserve_order(fake_uow, first)
    await reservations.reserve_order(fake_uow, waiting)  # backordered
    await revisions.revise_reservation(fake_uow, revised(first, 1, ("BOLT", "4")))
    assert types(fake_uow, waiting.subject)[-1] == EventType.STOCK_RESERVED.value
    assert await level(fake_uow, "BOLT") == (D(6), D(6))


async def test_a_removed_line_does_not_keep_the_order_from_being_fully_shipped(
    fake_uow: Any,
) -> None:
    await product(fake_uow, "BOLT", "5")
    await product(fake_uow, "NUT", "5")
    order = confirmation(("BOLT", "2"), ("NUT", "2"))
    await reservations.reserve_order(fake_uow, order)
    await revisions.revise_reservation(fake_uow, revised(order, 1, ("BOLT", "2")))
    shipment = await shipments.dispatch_shipment(
        fake_uow, DispatchShipment(order_id=str(order.subject), lines=(("BOLT", D(2)),))
    )
    assert shipment.fully_shipped
